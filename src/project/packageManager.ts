import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { PackageManagerName } from './types.js';
import { readJsonFile } from '../textFile.js';

export const LOCKFILES: Array<[file: string, manager: PackageManagerName]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

const NAMES: readonly PackageManagerName[] = ['npm', 'pnpm', 'yarn', 'bun'];

export function isPackageManagerName(value: string): value is PackageManagerName {
  return (NAMES as readonly string[]).includes(value);
}

/**
 * Which package manager the app uses, and why: the `packageManager` field (corepack's contract) wins, then
 * the nearest lockfile (walking up, so a workspace member uses its root's manager), then the manager that
 * launched us (`pnpm dlx`, `yarn dlx`, `bunx` set npm_config_user_agent), then npm.
 */
export function detectPackageManager(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  top: string = root,
): { name: PackageManagerName; reason: string } {
  // Up to the workspace root (or just the app): a stray lockfile in a parent folder belongs to nobody.
  for (let dir = root; ; dir = path.dirname(dir)) {
    const field = readPackageManagerField(path.join(dir, 'package.json'));
    if (field) return { name: field, reason: `packageManager field in ${path.relative(root, path.join(dir, 'package.json')) || 'package.json'}` };
    for (const [file, name] of LOCKFILES) {
      if (fs.existsSync(path.join(dir, file))) {
        return { name, reason: `${path.relative(root, path.join(dir, file)) || file} found` };
      }
    }
    if (dir === top || path.dirname(dir) === dir) break;
  }
  const agent = env.npm_config_user_agent?.split('/')[0];
  if (agent && isPackageManagerName(agent) && agent !== 'npm') {
    return { name: agent, reason: `no lockfile; run through ${agent}` };
  }
  return { name: 'npm', reason: 'no lockfile or packageManager field; npm by default' };
}

function readPackageManagerField(file: string): PackageManagerName | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const value = (readJsonFile(file) as { packageManager?: unknown }).packageManager;
    const name = typeof value === 'string' ? value.split('@')[0] : undefined;
    return name && isPackageManagerName(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--package-manager <name>`: the user's word wins over detection, as long as it cannot leave the app with
 * two lockfiles or contradict the `packageManager` field corepack enforces.
 */
export function resolvePackageManager(root: string, requested: string): { name: PackageManagerName; reason: string } {
  if (!isPackageManagerName(requested)) {
    throw new CliError(`Unknown --package-manager value "${requested}".`, { hint: `Use one of: ${NAMES.join(', ')}.`, exitCode: 2 });
  }
  for (let dir = root; ; dir = path.dirname(dir)) {
    const field = readPackageManagerField(path.join(dir, 'package.json'));
    if (field && field !== requested) {
      throw new CliError(`--package-manager ${requested} contradicts the packageManager field (${field}) in ${path.join(dir, 'package.json')}.`, {
        hint: `Drop --package-manager, or change the packageManager field first.`,
      });
    }
    const lockfiles = LOCKFILES.filter(([file]) => fs.existsSync(path.join(dir, file)));
    if (lockfiles.length > 0) {
      if (lockfiles.some(([, name]) => name === requested)) return { name: requested, reason: '--package-manager' };
      const found = lockfiles.map(([file]) => path.join(dir, file)).join(', ');
      throw new CliError(`--package-manager ${requested} would create a second lockfile next to ${found}.`, {
        hint: `Use ${lockfiles[0]?.[1]} (the lockfile's manager), or delete the old lockfile first if you are switching.`,
      });
    }
    if (field || path.dirname(dir) === dir) break;
  }
  return { name: requested, reason: '--package-manager' };
}

/**
 * A lockfile of another package manager where `name` would install, when `name` has none there yet: the
 * install would leave the app with two lockfiles (a packageManager field that disagrees with the lockfile).
 */
export function foreignLockfile(dirs: string[], name: PackageManagerName): string | undefined {
  for (const dir of dirs) {
    const present = LOCKFILES.filter(([file]) => fs.existsSync(path.join(dir, file)));
    if (present.length === 0) continue;
    if (present.some(([, manager]) => manager === name)) return undefined;
    return path.join(dir, present[0]![0]);
  }
  return undefined;
}
