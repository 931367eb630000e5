// Shared by the auth benchmarks: scaffold the auth kit into a copy of the ESM TypeScript fixture with the built
// CLI, build it, boot it with the app's own start script, and small helpers for HTTP, arguments and statistics.
import { makeSandbox, runCli, runScript, startApp } from '../scripts/sandbox.mjs';

/** Reads `--name value` from the command line. */
export function numberArg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

/**
 * A scaffolded, built and running app on the embedded store. Rate limits and security-event lines are off: the
 * benchmarks measure the work a request does, not the limiter refusing it or the terminal printing.
 * @param {Record<string, string>} env
 */
export async function startAuthApp(env = {}) {
  const sandbox = makeSandbox('ts-esm-nodenext');
  try {
    const scaffold = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite'], { cwd: sandbox.dir });
    if (scaffold.code !== 0) throw new Error(`backternity add failed:\n${scaffold.stdout}${scaffold.stderr}`);
    const build = runScript(sandbox.dir, 'build');
    if (build.code !== 0) throw new Error(`the scaffolded app does not build:\n${build.output}`);
    const app = await startApp(sandbox.dir, {
      env: { RATE_LIMIT_ENABLED: 'false', AUTH_LOG_EVENTS: 'false', NODE_ENV: 'production', ...env },
    });
    return {
      url: app.url,
      stop: async () => {
        await app.stop();
        sandbox.cleanup();
      },
    };
  } catch (error) {
    sandbox.cleanup();
    throw error;
  }
}

/** @param {string} url @param {unknown} body */
export async function postJson(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** @param {number[]} values */
export function median(values) {
  return percentile(values, 50);
}

/** @param {number[]} values @param {number} p */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Prints rows of equal-length arrays as an aligned table. @param {string[][]} rows */
export function printTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  for (const row of rows) console.log(row.map((cell, column) => String(cell).padStart(widths[column])).join('  '));
}
