import path from 'node:path';
import type { ComponentManifest } from '../components/types.js';
import { CliError } from '../errors.js';
import { basePath, matchesRecorded, serializeManifest, type InstalledComponent, type LoadedManifest } from '../manifest/manifest.js';
import { formatEnvValue, type EnvEntry } from '../patch/env.js';
import { removeDependencies } from '../patch/packageJson.js';
import { commentLines, detectEol } from '../patch/text.js';
import { unpatchServerEntry } from '../patch/unpatchEntry.js';
import type { ProjectInfo } from '../project/types.js';
import { patched, read } from './buildPlan.js';
import type { Plan, PlannedFile } from './types.js';

export interface RemoveOptions {
  /** Decides, per component file the user edited, whether to remove it anyway (the command asks or says no). */
  removeEdited: (relative: string) => Promise<boolean>;
}

/**
 * The reverse of `add`, limited to what backternity.json says the component added: files whose bytes are
 * still the recorded ones, the entry lines, dependencies whose range is still the one written, and its
 * .env.example placeholders. .env (the user's secret) and .gitignore (ignoring .env stays safe) are kept.
 */
export async function buildRemovePlan(
  project: ProjectInfo,
  manifest: ComponentManifest,
  loaded: LoadedManifest,
  options: RemoveOptions,
): Promise<Plan> {
  const record = loaded.manifest.components[manifest.name];
  if (!record) throw notInstalled(manifest.name);
  const files: PlannedFile[] = [];

  for (const [relative, recorded] of Object.entries(record.files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const file = path.join(project.root, ...relative.split('/'));
    const before = read(file);
    if (before === undefined) continue;
    const edited = !matchesRecorded(before, recorded.sha256);
    if (!edited || (await options.removeEdited(relative))) {
      files.push({ path: file, kind: 'template', action: 'remove', before, after: '', notes: edited ? ['edited by you; removed as you chose'] : [] });
    } else {
      files.push({ path: file, kind: 'template', action: 'skip', before, after: before, notes: ['edited by you; kept'] });
    }
  }

  if (record.entry) files.push(entryRemoval(project, record.entry));
  files.push(packageJsonRemoval(project, record));
  files.push(envExampleRemoval(project, record, manifest.envExample));
  for (const [kind, name, note] of [
    ['env', '.env', record.env['.env'].length ? `kept: it holds your secrets (delete ${record.env['.env'].join(', ')} by hand if you want)` : ''],
    ['gitignore', '.gitignore', record.gitignore.length ? `kept: ${record.gitignore.join(', ')} stay ignored (safe while .env exists)` : ''],
  ] as const) {
    const file = path.join(project.root, name);
    const before = read(file);
    if (before !== undefined && note) files.push({ path: file, kind, action: 'skip', before, after: before, notes: [note] });
  }

  for (const relative of Object.keys(record.files)) {
    const base = basePath(project.root, manifest.name, relative);
    const before = read(base);
    if (before !== undefined) files.push({ path: base, kind: 'base', action: 'remove', before, after: '', notes: [] });
  }
  files.push(manifestRemoval(loaded, manifest.name));

  return {
    command: 'remove',
    component: manifest.name,
    store: record.options.store,
    project,
    files,
    dependencies: { added: {}, alreadyPresent: [] },
    devDependencies: { added: {} },
    env: { added: [], filled: [], kept: [] },
    install: false,
    nextSteps: [],
    installed: undefined,
  };
}

export function notInstalled(component: string): CliError {
  return new CliError(`${component} is not installed in this app (backternity.json has no record of it).`, {
    hint: `Run \`backternity add ${component}\` to install it, or --cwd <dir> to point at the app that has it.`,
  });
}

function entryRemoval(project: ProjectInfo, entry: NonNullable<InstalledComponent['entry']>): PlannedFile {
  const file = path.join(project.root, ...entry.file.split('/'));
  const before = read(file);
  if (before === undefined) return { path: file, kind: 'entry', action: 'skip', before, after: '', notes: ['not found'] };
  const result = unpatchServerEntry(before, file, { imports: entry.imports, mountPath: entry.mountPath });
  if (result.status === 'unsupported') {
    return { path: file, kind: 'entry', action: 'skip', before, after: before, notes: [`${result.reason}; remove the auth import and mount by hand`] };
  }
  const notes = result.kept.map((kept) => `kept ${kept}`);
  if (result.status === 'unchanged') return { path: file, kind: 'entry', action: 'identical', before, after: before, notes };
  return { path: file, kind: 'entry', action: 'update', before, after: result.source, notes: [`remove ${result.removed.length} line(s) it added`, ...notes] };
}

/** Drops the dependencies it declared, when the range is still the one it wrote (a changed range is the user's). */
function packageJsonRemoval(project: ProjectInfo, record: InstalledComponent): PlannedFile {
  const before = read(project.packageJsonPath) ?? '{}';
  let text = before;
  const removed: string[] = [];
  const kept: string[] = [];
  for (const section of ['dependencies', 'devDependencies'] as const) {
    const result = removeDependencies(text, section, record[section]);
    text = result.source;
    removed.push(...result.removed);
    kept.push(...result.kept);
  }
  const notes = [...(removed.length ? [`remove ${removed.join(', ')}`] : []), ...(kept.length ? [`kept (range changed by you): ${kept.join(', ')}`] : [])];
  return { ...patched(project.packageJsonPath, 'package-json', text, notes), notes };
}

/** Removes the placeholder lines (and the comments it wrote above them) for keys it added, if unchanged. */
function envExampleRemoval(project: ProjectInfo, record: InstalledComponent, entries: EnvEntry[]): PlannedFile {
  const file = path.join(project.root, '.env.example');
  const before = read(file);
  if (before === undefined) return { path: file, kind: 'env-example', action: 'skip', before, after: '', notes: [] };
  const eol = detectEol(before);
  const lines = before.split(/\r?\n/);
  const drop = new Set<number>();
  const removed: string[] = [];
  for (const entry of entries.filter((e) => record.env['.env.example'].includes(e.key))) {
    const index = lines.indexOf(`${entry.key}=${formatEnvValue(entry.value)}`);
    if (index === -1) continue;
    drop.add(index);
    removed.push(entry.key);
    const comments = entry.comment ? commentLines(entry.comment) : [];
    if (comments.every((comment, i) => lines[index - comments.length + i] === comment)) {
      comments.forEach((_comment, i) => drop.add(index - comments.length + i));
    }
  }
  const header = lines.findIndex((line) => /^# .+ \(added by backternity\)$/.test(line));
  if (header !== -1 && removed.length && !lines.slice(header + 1).some((line, i) => line.trim() !== '' && !drop.has(header + 1 + i) && !line.startsWith('#'))) {
    drop.add(header);
  }
  let after = lines.filter((_line, i) => !drop.has(i)).join(eol);
  // The block was appended after one blank line; take that separator back too.
  after = after.replace(/(\r?\n)(\r?\n)+$/, '$1');
  if (after.trim() === '') return { path: file, kind: 'env-example', action: 'remove', before, after: '', notes: ['held only its placeholders'] };
  return { ...patched(file, 'env-example', after, removed.length ? [`remove ${removed.join(', ')}`] : []) };
}

function manifestRemoval(loaded: LoadedManifest, component: string): PlannedFile {
  const components = { ...loaded.manifest.components };
  delete components[component];
  if (Object.keys(components).length === 0) {
    return { path: loaded.path, kind: 'manifest', action: 'remove', before: loaded.text, after: '', notes: [] };
  }
  const after = serializeManifest({ ...loaded.manifest, components });
  return { path: loaded.path, kind: 'manifest', action: 'update', before: loaded.text, after, notes: [] };
}

