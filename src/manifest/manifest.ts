/**
 * The installed-manifest: `backternity.json` at the app root records, per component, what a run installed,
 * so a later run can tell the user's edits from template changes and `remove` can undo exactly its own work.
 * Committed with the app; written with sorted keys, two-space indent and a final newline, and with no
 * timestamps, so a run that changes nothing leaves it byte-identical.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../components/types.js';
import { CliError } from '../errors.js';

export const MANIFEST_FILE = 'backternity.json';
/** Sidecar folder next to the manifest: recorded bases (for merges) and backups (from --overwrite). */
export const SIDECAR_DIR = '.backternity';
const FORMAT = 1;

export interface InstalledFile {
  /**
   * sha256 of the component's version of this file as last installed (the merge base). A file on disk with
   * this hash is untouched by the user. After a merge it is the new template's hash, not the merged text's:
   * the user's edits are still theirs and must be merged again on the next upgrade.
   */
  sha256: string;
}

export interface InstalledEntryPatch {
  /** Server entry, relative to the app root. */
  file: string;
  mountPath: string;
  /** Module specifiers whose imports the patch added, as written in the entry. */
  imports: string[];
}

export interface InstalledComponent {
  /** backternity version that last wrote this record. */
  version: string;
  /** Fingerprint of the component's templates (sha256 prefix): moves whenever the templates change. */
  templates: string;
  /** `refreshCookie` and `redis` are recorded only when set, so older records stay byte-identical. */
  options: { store: Store; refreshCookie?: boolean; redis?: boolean };
  /** Relative POSIX path → record. */
  files: Record<string, InstalledFile>;
  entry?: InstalledEntryPatch;
  /** Keys the runs appended to (or filled in) each env file. */
  env: { '.env': string[]; '.env.example': string[] };
  /** Dependencies the runs declared, with the range written (a user's own declarations are never listed). */
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  /** Lines the runs appended to .gitignore. */
  gitignore: string[];
}

export interface InstalledManifest {
  format: number;
  components: Record<string, InstalledComponent>;
}

export interface LoadedManifest {
  path: string;
  /** Bytes on disk, undefined when there is no manifest yet. */
  text: string | undefined;
  manifest: InstalledManifest;
}

export function manifestPath(root: string): string {
  return path.join(root, MANIFEST_FILE);
}

/** Where the recorded base of a component file lives. `.base` keeps tsc, linters and test runners off it. */
export function basePath(root: string, component: string, relative: string): string {
  return path.join(root, SIDECAR_DIR, 'base', component, ...relative.split('/')) + '.base';
}

export function backupRoot(root: string, stamp: string): string {
  return path.join(root, SIDECAR_DIR, 'backup', stamp);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Whether `text` is what was recorded as `hash`, line endings aside: a checkout that turns LF into CRLF
 * (git's core.autocrlf on Windows) or back is not an edit.
 */
export function matchesRecorded(text: string, hash: string): boolean {
  return sha256(text) === hash || eolVariants(text).some((variant) => sha256(variant) === hash);
}

/** Equal, line endings aside. */
export function sameTextIgnoringEol(a: string, b: string): boolean {
  return a === b || toLf(a) === toLf(b);
}

/** `text` with the line endings `like` uses throughout; unchanged when `like` mixes them or has none. */
export function withEolOf(text: string, like: string): string {
  const crlf = (like.match(/\r\n/g) ?? []).length;
  const lf = (like.match(/\n/g) ?? []).length;
  if (lf === 0) return text;
  if (crlf === lf) return toLf(text).replace(/\n/g, '\r\n');
  if (crlf === 0) return toLf(text);
  return text;
}

function toLf(text: string): string {
  return text.replace(/\r\n/g, '\n');
}

function eolVariants(text: string): string[] {
  const lf = toLf(text);
  return [lf, lf.replace(/\n/g, '\r\n')].filter((variant) => variant !== text);
}

export function emptyManifest(): InstalledManifest {
  return { format: FORMAT, components: {} };
}

export function readManifest(root: string): LoadedManifest {
  const file = manifestPath(root);
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { path: file, text: undefined, manifest: emptyManifest() };
  }
  return { path: file, text, manifest: parseManifest(text, file) };
}

export function parseManifest(text: string, file = MANIFEST_FILE): InstalledManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON (${(error as Error).message}).`, {
      hint: 'Fix it (it is a plain JSON record of what backternity installed; `git diff` shows what changed), then run again.',
    });
  }
  const manifest = data as Partial<InstalledManifest> | null;
  if (!manifest || typeof manifest !== 'object' || typeof manifest.components !== 'object' || manifest.components === null) {
    throw new CliError(`${file} does not look like a backternity manifest (no "components" object).`, {
      hint: 'Restore it from version control, or move it away to start a fresh record.',
    });
  }
  if (typeof manifest.format === 'number' && manifest.format > FORMAT) {
    throw new CliError(`${file} was written by a newer backternity (format ${manifest.format}).`, {
      hint: 'Upgrade backternity (npx backternity@latest …) and run again.',
    });
  }
  return { format: FORMAT, components: manifest.components };
}

/** Keys in a fixed order at every level, two-space indent, final newline: the same record always gives the same bytes. */
export function serializeManifest(manifest: InstalledManifest): string {
  return `${JSON.stringify(sortKeys(manifest), null, 2)}\n`;
}

/** True when two manifest texts hold the same record (a CRLF checkout of the same file counts as the same). */
export function sameManifest(text: string | undefined, manifest: InstalledManifest): boolean {
  if (text === undefined) return false;
  try {
    return serializeManifest(parseManifest(text)) === serializeManifest(manifest);
  } catch {
    return false;
  }
}

/** Record fields in reading order; map keys (paths, package names, components) alphabetically after them. */
const FIELD_ORDER = ['format', 'components', 'version', 'templates', 'options', 'files', 'entry', 'env', 'dependencies', 'devDependencies', 'gitignore'];

function compareKeys(a: string, b: string): number {
  const rankA = FIELD_ORDER.indexOf(a);
  const rankB = FIELD_ORDER.indexOf(b);
  if (rankA !== rankB) return (rankA === -1 ? Infinity : rankA) - (rankB === -1 ? Infinity : rankB);
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => compareKeys(a, b))
        .map(([key, item]) => [key, sortKeys(item)]),
    );
  }
  return value;
}

/** Relative POSIX path from the app root, as stored in the manifest. */
export function relativePath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
