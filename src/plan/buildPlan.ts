import fs from 'node:fs';
import path from 'node:path';
import type { ComponentManifest, Store } from '../components/types.js';
import { CliError } from '../errors.js';
import { patchEnv } from '../patch/env.js';
import { patchGitignore } from '../patch/gitignore.js';
import { patchPackageJson } from '../patch/packageJson.js';
import { patchServerEntry } from '../patch/serverEntry.js';
import type { ProjectInfo } from '../project/types.js';
import { renderTemplate } from '../templating/render.js';
import type { FileKind, Plan, PlannedFile } from './types.js';

export interface PlanOptions {
  store: Store;
  install: boolean;
}

/** Computes every change the run would make. Reads the project's files; writes nothing. */
export function buildPlan(project: ProjectInfo, manifest: ComponentManifest, options: PlanOptions): Plan {
  if (project.language === 'js') {
    throw new CliError('This app is JavaScript; auth-jwt currently generates TypeScript only.', {
      hint: 'Add TypeScript to the app (a tsconfig.json and .ts entry), or wait for JavaScript output support.',
    });
  }
  const files: PlannedFile[] = manifest.files.map((file) => {
    const target = path.join(project.srcDir, ...file.target.split('/'));
    return templateFile(target, renderTemplate(fs.readFileSync(file.template, 'utf8'), file.target, project));
  });
  files.push(entryFile(project, manifest));

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

  return {
    component: manifest.name,
    store: options.store,
    project,
    files,
    dependencies: {
      added: pick(manifest.dependencies, packageJson.added.dependencies),
      alreadyPresent: packageJson.skipped,
    },
    devDependencies: { added: pick(manifest.devDependencies, packageJson.added.devDependencies) },
    env: { added: env.added, filled: env.filled, kept: env.kept },
    install: options.install,
    nextSteps: manifest.nextSteps,
  };
}

/**
 * A template lands only where nothing is, or where the same bytes already are. A different file at that
 * path is the user's: it is kept as it is and reported as a conflict, never overwritten.
 */
function templateFile(target: string, content: string): PlannedFile {
  const before = read(target);
  if (before === undefined) return { path: target, kind: 'template', action: 'create', before, after: content, notes: [] };
  if (before === content) return { path: target, kind: 'template', action: 'identical', before, after: content, notes: [] };
  return {
    path: target,
    kind: 'template',
    action: 'conflict',
    before,
    after: before,
    notes: ['exists with different content; kept your version (compare it with the template by hand)'],
  };
}

function entryFile(project: ProjectInfo, manifest: ComponentManifest): PlannedFile {
  const entry = project.entry;
  const manual = manualEntryLines(project, manifest);
  if (!entry) {
    throw new CliError(`Could not find the server entry: ${project.entryProblem ?? 'no file calls express()'}.`, {
      hint: `Add these lines to the file that creates your Express app, after your middleware and before your 404/error handlers, then run again:\n${manual}`,
    });
  }
  const source = fs.readFileSync(entry.path, 'utf8');
  const result = patchServerEntry(source, entry.path, {
    routerImport: importSpecifier(project, entry.path, manifest.mount.routerModule),
    connectImport: importSpecifier(project, entry.path, manifest.mount.connectModule),
    mountPath: manifest.mount.path,
    syntax: project.sourceSyntax,
    awaitConnect: project.topLevelAwait,
    style: project.style,
  });
  if (result.status === 'unsupported') {
    throw new CliError(`Could not patch ${path.relative(project.root, entry.path)}: ${result.reason}.`, {
      hint: `Add these lines by hand (after your middleware, before your 404/error handlers), then run again:\n${result.manual.map((line) => `    ${line}`).join('\n')}`,
    });
  }
  return patched(entry.path, 'entry', result.source, result.status === 'patched' ? result.changes : []);
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

function patched(file: string, kind: FileKind, after: string, notes: string[]): PlannedFile {
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

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    // ENOTDIR: a file stands where a folder should be; the write check reports that with a clear message.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, { hint: 'Check the file permissions and run again.' });
  }
}

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => key in source).map((key) => [key, source[key] as string]));
}
