import fs from 'node:fs';
import fse from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { templateFolders } from '../../src/components/authJwt.js';
import type { Store } from '../../src/components/types.js';
import { repoRoot } from '../../scripts/sandbox.mjs';

/** The auth component's files for one store, laid out as they land in an app's source dir. */
export interface TemplateLayout {
  /** The folder holding config/, services/, models/, ... */
  srcDir: string;
  /** Imports one of the laid-out modules, e.g. `models/index.ts`. */
  load<T>(file: string): Promise<T>;
  remove(): void;
}

/**
 * Copies the same template folders the CLI copies (base + shared SQL + driver) into a temp folder, with
 * this repo's node_modules linked next to it so `pg`, `mongoose`, ... resolve. Vitest then imports the
 * TypeScript directly: the templates' `.js` relative imports resolve to the `.ts` files.
 */
export function layOutTemplates(store: Store): TemplateLayout {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `backternity-contract-${store}-`));
  const srcDir = path.join(base, 'src');
  for (const folder of templateFolders(store)) {
    fse.copySync(path.join(repoRoot, 'templates', ...folder.split('/')), srcDir);
  }
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(base, 'node_modules'), 'dir');
  return {
    srcDir,
    load: async <T>(file: string) => (await import(pathToFileURL(path.join(srcDir, file)).href)) as T,
    remove: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/**
 * config/auth.ts validates the environment when it is first imported (and exits the process on a bad
 * value), so the stores' modules need a valid JWT_SECRET set before they are loaded.
 */
export function prepareAuthEnv(extra: Record<string, string> = {}): void {
  process.env.JWT_SECRET ??= `contract-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-abcdefghijkl`;
  Object.assign(process.env, extra);
}
