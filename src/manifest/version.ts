import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ComponentFile } from '../components/types.js';
import { packageRoot } from '../paths.js';

/** The running backternity's version (from its own package.json). */
export function backternityVersion(): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return version;
}

/**
 * A fingerprint of the component's template sources (paths and bytes, before rendering): it moves exactly
 * when the templates change, including between two builds of the same backternity version.
 */
export function templatesFingerprint(files: readonly ComponentFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))) {
    hash.update(file.target).update('\0').update(fs.readFileSync(file.template)).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}
