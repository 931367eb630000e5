import fs from 'node:fs';
import path from 'node:path';
import type { ComponentFile, ComponentManifest, Store } from '../components/types.js';
import { CliError } from '../errors.js';
import { readUtf8 } from '../textFile.js';
import {
  backupRoot,
  basePath,
  matchesRecorded,
  relativePath,
  sameManifest,
  sameTextIgnoringEol,
  serializeManifest,
  sha256,
  withEolOf,
  type InstalledComponent,
  type LoadedManifest,
} from '../manifest/manifest.js';
import { backternityVersion, templatesFingerprint } from '../manifest/version.js';
import { hasConflictMarkers, mergeThreeWay, mergeWithoutBase } from '../merge/threeWay.js';
import { patchEnv } from '../patch/env.js';
import { patchGitignore } from '../patch/gitignore.js';
import { patchPackageJson } from '../patch/packageJson.js';
import { patchServerEntry } from '../patch/serverEntry.js';
import type { ProjectInfo } from '../project/types.js';
import { renderTemplate, targetFile } from '../templating/render.js';
import type { ExistingFileMode, FileKind, Plan, PlannedFile } from './types.js';

export interface PlanOptions {
  store: Store;
  refreshCookie?: boolean;
  redis?: boolean;
  install: boolean;
  /** What to do with existing component files that differ from the template (default: merge). */
  mode?: ExistingFileMode;
  /** The app's installed-manifest as read before the run. */
  installed: LoadedManifest;
  /** Folder name under .backternity/backup for --overwrite backups (a timestamp). */
  backupStamp?: string;
}

interface TemplateContext {
  project: ProjectInfo;
  component: string;
  mode: ExistingFileMode;
  previous: InstalledComponent | undefined;
  templatesVersion: string;
  backupDir: string;
}

/** Computes every change the run would make. Reads the project's files; writes nothing. */
export function buildPlan(project: ProjectInfo, manifest: ComponentManifest, options: PlanOptions): Plan {
  const previous = options.installed.manifest.components[manifest.name];
  const context: TemplateContext = {
    project,
    component: manifest.name,
    mode: options.mode ?? 'merge',
    previous,
    templatesVersion: templatesFingerprint(manifest.files),
    backupDir: backupRoot(project.root, options.backupStamp ?? backupStamp()),
  };
  const templates = manifest.files.map((file) => templateFile(context, file));
  const entry = entryFile(project, manifest);
  const files: PlannedFile[] = [...templates, ...droppedFiles(project, templates, previous), entry.file];

  const envPath = path.join(project.root, '.env');
  const env = patchEnv(read(envPath) ?? '', manifest.env, { header: `${manifest.name} (added by backternity)` });
  files.push(patched(envPath, 'env', env.source, describeEnv(env)));

  const examplePath = path.join(project.root, '.env.example');
  const example = patchEnv(read(examplePath) ?? '', manifest.envExample, { header: `${manifest.name} (added by backternity)` });
  files.push(patched(examplePath, 'env-example', example.source, example.added.length ? [`add ${example.added.join(', ')}`] : []));

  const gitignorePath = path.join(project.root, '.gitignore');
  const gitignore = patchGitignore(read(gitignorePath), manifest.gitignore);
  files.push(patched(gitignorePath, 'gitignore', gitignore.source, gitignore.added.length ? [`ignore ${gitignore.added.join(', ')}`] : []));

  const packageJson = patchPackageJson(read(project.packageJsonPath) ?? '{}', {
    dependencies: manifest.dependencies,
    devDependencies: manifest.devDependencies,
  });
  const addedDeps = [...packageJson.added.dependencies, ...packageJson.added.devDependencies];
  files.push(patched(project.packageJsonPath, 'package-json', packageJson.source, addedDeps.length ? [`add ${addedDeps.join(', ')}`] : []));

  const dependencies = pick(manifest.dependencies, packageJson.added.dependencies);
  const devDependencies = pick(manifest.devDependencies, packageJson.added.devDependencies);
  const installed: InstalledComponent = {
    version: backternityVersion(),
    templates: context.templatesVersion,
    options: {
      store: options.store,
      ...(options.refreshCookie ? { refreshCookie: true } : {}),
      ...(options.redis ? { redis: true } : {}),
    },
    files: recordedFiles(project, templates, previous),
    entry: entry.record,
    env: {
      '.env': union(previous?.env['.env'], [...env.added, ...env.filled]),
      '.env.example': union(previous?.env['.env.example'], [...example.added, ...example.filled]),
    },
    dependencies: { ...previous?.dependencies, ...dependencies },
    devDependencies: { ...previous?.devDependencies, ...devDependencies },
    gitignore: union(previous?.gitignore, gitignore.added),
  };
  // A record whose content did not change keeps its version stamp, so the manifest stays byte-identical.
  if (previous && sameRecordIgnoringVersion(previous, installed)) installed.version = previous.version;

  files.push(...backupFiles(templates), ...baseFiles(project, manifest.name, templates));
  files.push(manifestFile(options.installed, manifest.name, installed));

  return {
    command: 'add',
    component: manifest.name,
    store: options.store,
    project,
    files,
    dependencies: {
      added: dependencies,
      alreadyPresent: packageJson.skipped,
      outdated: outdatedDeclarations(project, { ...manifest.dependencies, ...manifest.devDependencies }, packageJson.skipped),
    },
    devDependencies: { added: devDependencies },
    env: { added: env.added, filled: env.filled, kept: env.kept },
    install: options.install,
    nextSteps: manifest.nextSteps,
    installed,
  };
}

/**
 * The status of one component file, from three versions: on disk now, as recorded at install (the base)
 * and the current template. The user's bytes are never dropped: an edited file is merged, kept, or (with
 * --overwrite) backed up before the template replaces it.
 */
function templateFile(context: TemplateContext, file: ComponentFile): PlannedFile {
  const { project, mode, previous } = context;
  const target = targetFile(project.srcDir, file.target, project);
  const relative = relativePath(project.root, target);
  const template = renderTemplate(fs.readFileSync(file.template, 'utf8'), file.target, project);
  const before = read(target);
  const recorded = previous?.files[relative];
  const fresh = { sha256: sha256(template), base: template };
  const kept = recorded ? { sha256: recorded.sha256, base: recordedBase(project.root, context.component, relative, recorded.sha256) } : undefined;
  const plan = (action: PlannedFile['action'], after: string, notes: string[], extra: Partial<PlannedFile> = {}): PlannedFile => ({
    path: target,
    kind: 'template',
    action,
    before,
    after,
    notes,
    template,
    record: fresh,
    ...extra,
  });
  const backup = (): Partial<PlannedFile> => ({ backup: path.join(context.backupDir, ...relative.split('/')) });

  if (before === undefined) {
    if (recorded && mode !== 'overwrite') {
      return plan('skip', '', ['you deleted it; not recreated (--overwrite restores it)'], { before, after: '', record: kept });
    }
    return plan('create', template, []);
  }
  // Line endings alone are no difference (a checkout may have converted them): compare, merge and write in
  // the file's own line endings.
  if (sameTextIgnoringEol(before, template)) return plan('identical', before, []);
  const templateHere = withEolOf(template, before);

  if (!recorded) {
    if (mode === 'skip-existing') return plan('skip', before, ['your own file (not installed by backternity); kept'], { record: undefined });
    if (mode === 'overwrite') return plan('update', template, [`your own file replaced; saved to ${backupNote(project, context, relative)}`], backup());
    return plan('conflict', before, ['your own file (not installed by backternity)'], { ownFile: true, record: undefined });
  }

  const editedByUser = !matchesRecorded(before, recorded.sha256);
  const templateChanged = recorded.sha256 !== fresh.sha256;
  if (!editedByUser) {
    if (mode === 'skip-existing') return plan('skip', before, ['template changed; kept as installed (--skip-existing)'], { record: kept });
    return plan('update', templateHere, ['template changed; you had not edited it']);
  }
  if (mode === 'overwrite') return plan('update', templateHere, [`template taken; your version saved to ${backupNote(project, context, relative)}`], backup());
  // Markers left from an earlier run stay a conflict, whatever else happens to the file in this one.
  const unresolved = hasConflictMarkers(before) ? 1 : 0;
  const unresolvedNote = 'still has conflict markers from an earlier run: resolve the <<<<<<< blocks';
  if (!templateChanged) {
    return plan('skip', before, [unresolved ? unresolvedNote : 'your edits kept (the template did not change)'], { conflicts: unresolved });
  }
  if (mode === 'skip-existing') {
    return plan('skip', before, [unresolved ? unresolvedNote : 'edited by you, template changed; kept as is (--skip-existing)'], { record: kept, conflicts: unresolved });
  }

  const labels = { ours: `yours (${relative})`, theirs: `${context.component} template ${context.templatesVersion}` };
  const base = kept?.base === undefined ? undefined : withEolOf(kept.base, before);
  const merged = base !== undefined ? mergeThreeWay(before, base, templateHere, labels) : mergeWithoutBase(before, templateHere, labels);
  if (merged.text === before) return plan('skip', before, [unresolved ? unresolvedNote : 'your version already has the template changes'], { conflicts: unresolved });
  const conflicts = Math.max(merged.conflicts, hasConflictMarkers(merged.text) ? 1 : 0);
  const notes =
    merged.conflicts > 0
      ? [`${merged.conflicts} conflict(s) marked with <<<<<<< / >>>>>>>: resolve them${base === undefined ? ' (no recorded base: every difference is marked)' : ''}`]
      : conflicts > 0
        ? ['merged the template changes; conflict markers from an earlier run remain: resolve the <<<<<<< blocks']
        : ['merged: your edits and the template changes did not overlap'];
  return plan('conflict', merged.text, notes, { conflicts });
}

/**
 * Dependencies the app already declares with a lower major than the component needs. Only plain ranges are
 * compared (`^8.5.1`, `~3.22.0`, `8.x`); tags, URLs and workspace ranges are left alone.
 */
function outdatedDeclarations(project: ProjectInfo, wanted: Record<string, string>, declared: string[]) {
  const major = (range: string) => {
    const match = /^\s*(?:[\^~]|>=?)?\s*v?(\d+)(?:\.[\dxX*]+){0,2}\s*$/.exec(range);
    return match ? Number(match[1]) : undefined;
  };
  return declared.flatMap((name) => {
    const range = project.dependencies[name];
    const want = wanted[name];
    if (range === undefined || want === undefined) return [];
    const [have, need] = [major(range), major(want)];
    return have !== undefined && need !== undefined && have < need ? [{ name, declared: range, wanted: want }] : [];
  });
}

/** The recorded base, if its sidecar is still there and still holds what the manifest says. */
function recordedBase(root: string, component: string, relative: string, expected: string): string | undefined {
  const base = read(basePath(root, component, relative));
  return base !== undefined && matchesRecorded(base, expected) ? base : undefined;
}

function backupNote(project: ProjectInfo, context: TemplateContext, relative: string): string {
  return relativePath(project.root, path.join(context.backupDir, ...relative.split('/')));
}

function backupStamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * Files an earlier version installed that the current templates no longer have: kept (something of yours may
 * import them) and listed, so an upgrade never leaves one behind unmentioned. Their records stay until they go.
 */
function droppedFiles(project: ProjectInfo, templates: PlannedFile[], previous: InstalledComponent | undefined): PlannedFile[] {
  const planned = new Set(templates.map((file) => relativePath(project.root, file.path)));
  return Object.keys(previous?.files ?? {})
    .filter((relative) => !planned.has(relative))
    .map((relative) => path.join(project.root, ...relative.split('/')))
    .flatMap((file) => {
      const text = read(file);
      if (text === undefined) return [];
      const note = 'no longer part of the component: kept; delete it once nothing imports it';
      return [{ path: file, kind: 'template' as const, action: 'skip' as const, before: text, after: text, notes: [note] }];
    });
}

/** The manifest's file records: every planned component file that is ours, plus records of files no longer in the templates. */
function recordedFiles(project: ProjectInfo, templates: PlannedFile[], previous: InstalledComponent | undefined): Record<string, { sha256: string }> {
  const files: Record<string, { sha256: string }> = {};
  const planned = new Set(templates.map((file) => relativePath(project.root, file.path)));
  for (const [relative, record] of Object.entries(previous?.files ?? {})) {
    // A file the templates dropped keeps its record while it exists, so `remove` can still take it out.
    if (!planned.has(relative) && fs.existsSync(path.join(project.root, ...relative.split('/')))) files[relative] = record;
  }
  for (const file of templates) if (file.record) files[relativePath(project.root, file.path)] = { sha256: file.record.sha256 };
  return files;
}

function backupFiles(templates: PlannedFile[]): PlannedFile[] {
  return templates
    .filter((file) => file.backup !== undefined && file.before !== undefined && file.action === 'update')
    .map((file) => ({ path: file.backup as string, kind: 'backup' as const, action: 'create' as const, before: undefined, after: file.before as string, notes: [] }));
}

/**
 * The recorded bases (sidecars) for the next three-way merge: the component's version of each file. One that
 * differs only in line endings (a checkout converted it with the rest) is left as it is.
 */
function baseFiles(project: ProjectInfo, component: string, templates: PlannedFile[]): PlannedFile[] {
  return templates
    .filter((file) => file.record?.base !== undefined)
    .map((file) => {
      const sidecar = basePath(project.root, component, relativePath(project.root, file.path));
      const base = file.record?.base as string;
      const existing = read(sidecar);
      return patched(sidecar, 'base', existing !== undefined && sameTextIgnoringEol(existing, base) ? existing : base, []);
    });
}

function manifestFile(loaded: LoadedManifest, component: string, installed: InstalledComponent): PlannedFile {
  const next = { ...loaded.manifest, components: { ...loaded.manifest.components, [component]: installed } };
  const same = sameManifest(loaded.text, next);
  const after = same ? (loaded.text as string) : serializeManifest(next);
  const action = loaded.text === undefined ? 'create' : same ? 'identical' : 'update';
  return { path: loaded.path, kind: 'manifest', action, before: loaded.text, after, notes: [] };
}

function sameRecordIgnoringVersion(a: InstalledComponent, b: InstalledComponent): boolean {
  return serializeManifest({ format: 1, components: { x: { ...a, version: '' } } }) === serializeManifest({ format: 1, components: { x: { ...b, version: '' } } });
}

function entryFile(project: ProjectInfo, manifest: ComponentManifest): { file: PlannedFile; record: InstalledComponent['entry'] } {
  const entry = project.entry;
  const manual = manualEntryLines(project, manifest);
  if (!entry) {
    const problem = project.entryProblem ?? 'no file calls express()';
    const srcDir = relativePath(project.root, project.srcDir) || '.';
    throw new CliError(`Could not find the server entry: ${problem}.`, {
      hint: /fix the syntax error/.test(problem)
        ? 'Nothing was changed.'
        : 'Nothing was changed. Either name the file that creates your Express app:\n' +
          '    backternity add auth-jwt --entry <file>\n' +
          `or add these lines to it yourself (paths relative to ${srcDir}/; after your middleware, before your 404/error\n` +
          `handlers) and run again: a file that mounts authRouter counts as the entry, and the files it imports are created then.\n${manual}`,
    });
  }
  const source = read(entry.path) ?? '';
  const routerImport = importSpecifier(project, entry.path, manifest.mount.routerModule);
  const connectImport = importSpecifier(project, entry.path, manifest.mount.connectModule);
  const result = patchServerEntry(source, entry.path, {
    routerImport,
    connectImport,
    mountPath: manifest.mount.path,
    syntax: project.sourceSyntax,
    awaitConnect: project.topLevelAwait,
    style: project.style,
  });
  if (result.status === 'unsupported') {
    throw new CliError(`Could not patch ${path.relative(project.root, entry.path)}: ${result.reason}.`, {
      hint:
        'Nothing was changed. Add these lines by hand (after your middleware, before your 404/error handlers), then run\n' +
        `again: once the file mounts authRouter, the run creates the files it imports and leaves the file as it is.\n${result.manual.map((line) => `    ${line}`).join('\n')}`,
    });
  }
  return {
    file: patched(entry.path, 'entry', result.source, result.status === 'patched' ? result.changes : []),
    record: { file: relativePath(project.root, entry.path), mountPath: manifest.mount.path, imports: [routerImport, connectImport] },
  };
}

function manualEntryLines(project: ProjectInfo, manifest: ComponentManifest): string {
  const specifier = `./${manifest.mount.routerModule}${project.importExtension}`;
  const importLine =
    project.sourceSyntax === 'require'
      ? `const { authRouter, authErrorHandler } = require('${specifier}');`
      : `import { authRouter, authErrorHandler } from '${specifier}';`;
  return [importLine, `app.use('${manifest.mount.path}', authRouter, authErrorHandler);`].map((line) => `    ${line}`).join('\n');
}

/** `./routes/auth.js` as written from the entry file's folder, with the extension style the app needs. */
function importSpecifier(project: ProjectInfo, entryPath: string, modulePath: string): string {
  const target = path.join(project.srcDir, ...modulePath.split('/'));
  let relative = path.relative(path.dirname(entryPath), target).split(path.sep).join('/');
  if (!relative.startsWith('.')) relative = `./${relative}`;
  return relative + project.importExtension;
}

export function patched(file: string, kind: FileKind, after: string, notes: string[]): PlannedFile {
  const before = read(file);
  const action = before === undefined ? 'create' : before === after ? 'identical' : 'update';
  return { path: file, kind, action, before, after, notes: action === 'identical' ? [] : notes };
}

function describeEnv(result: { added: string[]; filled: string[] }): string[] {
  const notes: string[] = [];
  if (result.added.length) notes.push(`add ${result.added.join(', ')}`);
  if (result.filled.length) notes.push(`fill empty ${result.filled.join(', ')}`);
  return notes;
}

export function read(file: string): string | undefined {
  try {
    return readUtf8(file);
  } catch (error) {
    if (error instanceof CliError) throw error;
    // ENOTDIR: a file stands where a folder should be; the write check reports that with a clear message.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, { hint: 'Check the file permissions and run again.' });
  }
}

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key] as string]));
}

function union(previous: readonly string[] | undefined, added: readonly string[]): string[] {
  return [...new Set([...(previous ?? []), ...added])];
}
