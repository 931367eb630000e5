// One benchmark run's shared state: each store's app is scaffolded and built once and reused by every benchmark
// that needs it, and everything (temp folders, the scratch database) is removed at the end, Ctrl-C included.
import { prepareBenchApp } from './app.mjs';
import { isMain, printSection } from './report.mjs';

export function createContext() {
  /** @type {Map<string, Promise<Awaited<ReturnType<typeof prepareBenchApp>>>>} */
  const apps = new Map();
  const close = async () => {
    for (const pending of apps.values()) {
      const app = await pending.catch(() => undefined);
      await app?.cleanup();
    }
    apps.clear();
  };
  const interrupted = async () => {
    await close();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return {
    /** @param {'pglite' | 'postgres'} db */
    app(db) {
      if (!apps.has(db)) apps.set(db, prepareBenchApp(db));
      return apps.get(db);
    },
    close,
  };
}

/**
 * Lets a benchmark module run on its own: `node bench/<name>.mjs` prints its section (it writes no files).
 * @param {string} moduleUrl import.meta.url of the benchmark module
 * @param {(context: ReturnType<typeof createContext>) => Promise<object>} bench
 */
export async function runStandalone(moduleUrl, bench) {
  if (!isMain(moduleUrl)) return;
  const context = createContext();
  try {
    printSection(await bench(context));
  } finally {
    await context.close();
  }
}
