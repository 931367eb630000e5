import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (dist/ and templates/ sit side by side in it). */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where component templates live. BACKTERNITY_TEMPLATES_DIR points the CLI at another copy (tests use it to
 * simulate a newer template version); everyone else gets the templates shipped in the package.
 */
export function templatesRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.BACKTERNITY_TEMPLATES_DIR ? path.resolve(env.BACKTERNITY_TEMPLATES_DIR) : path.join(packageRoot, 'templates');
}
