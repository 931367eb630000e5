import fs from 'node:fs';
import path from 'node:path';

/**
 * Member package folders of a workspace root: npm/yarn/bun `workspaces` (an array, or yarn's
 * `{ packages: [...] }`) and pnpm's `pnpm-workspace.yaml` `packages:` list. Undefined when `dir` is not a
 * workspace root. Patterns support what real repos use: `apps/*`, `packages/**`, exact folders, `!` excludes.
 */
export function workspaceMembers(dir: string, packageJson: Record<string, unknown>): string[] | undefined {
  const patterns = [...packageJsonPatterns(packageJson), ...pnpmPatterns(dir)];
  if (patterns.length === 0 && !isWorkspaceDeclared(dir, packageJson)) return undefined;
  const include = patterns.filter((pattern) => !pattern.startsWith('!'));
  const exclude = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  const members = new Set<string>();
  for (const pattern of include) for (const folder of expand(dir, pattern)) members.add(folder);
  for (const pattern of exclude) for (const folder of expand(dir, pattern)) members.delete(folder);
  return [...members].filter((folder) => fs.existsSync(path.join(folder, 'package.json'))).sort();
}

function isWorkspaceDeclared(dir: string, packageJson: Record<string, unknown>): boolean {
  return 'workspaces' in packageJson || fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'));
}

function packageJsonPatterns(packageJson: Record<string, unknown>): string[] {
  const field = packageJson.workspaces;
  const list = Array.isArray(field) ? field : isRecord(field) && Array.isArray(field.packages) ? field.packages : [];
  return list.filter((item): item is string => typeof item === 'string');
}

/** The `packages:` list of pnpm-workspace.yaml (a flat YAML list; the rest of the file is irrelevant here). */
function pnpmPatterns(dir: string): string[] {
  const file = path.join(dir, 'pnpm-workspace.yaml');
  if (!fs.existsSync(file)) return [];
  const patterns: string[] = [];
  let inPackages = false;
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (/^\S/.test(line)) inPackages = /^packages\s*:/.test(line);
    else if (inPackages) {
      const item = /^\s+-\s*(['"]?)(.+?)\1\s*(?:#.*)?$/.exec(line);
      if (item?.[2]) patterns.push(item[2]);
    }
  }
  return patterns;
}

/** Folders matching a workspace pattern; `*` is one path segment, `**` any depth (node_modules skipped). */
function expand(root: string, pattern: string): string[] {
  const segments = pattern.replace(/^\.\//, '').replace(/\/+$/, '').split('/').filter(Boolean);
  let current = [root];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of current) {
      if (segment === '**') next.push(dir, ...descendants(dir));
      else if (segment.includes('*')) {
        const matcher = new RegExp(`^${segment.split('*').map(escapeRegExp).join('[^/]*')}$`);
        next.push(...subfolders(dir).filter((folder) => matcher.test(path.basename(folder))));
      } else if (isDirectory(path.join(dir, segment))) next.push(path.join(dir, segment));
    }
    current = next;
  }
  return current;
}

function subfolders(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
      .map((entry) => path.join(dir, entry.name));
  } catch {
    return [];
  }
}

function descendants(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  return subfolders(dir).flatMap((folder) => [folder, ...descendants(folder, depth + 1)]);
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
