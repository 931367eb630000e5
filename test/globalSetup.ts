import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newest(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

/**
 * The e2e tests run the built CLI (dist/cli.js), as users do. `npm test` builds first; a bare `npx vitest`
 * on a fresh clone or after editing src/ would otherwise fail with dozens of "Cannot find module" errors
 * or, worse, test yesterday's build. Stop once, saying what to run.
 */
export default function setup(): void {
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm test` (it builds first) or `npm run build`, then vitest.');
  if (newest(path.join(repoRoot, 'src')) > newest(path.join(repoRoot, 'dist'))) {
    throw new Error('dist/ is older than src/: run `npm run build` (or `npm test`, which builds first), then vitest.');
  }
}
