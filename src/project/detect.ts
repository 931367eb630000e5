import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Statement } from '@babel/types';
import { CliError } from '../errors.js';
import { readJsonFile } from '../textFile.js';
import { readManifest } from '../manifest/manifest.js';
import { findExpressApp, mountsRouterByHand } from '../patch/serverEntry.js';
import { detectPackageManager, resolvePackageManager } from './packageManager.js';
import { parseSource } from '../patch/ast.js';
import { relativeSpecifiers } from './source.js';
import { detectStyle } from './style.js';
import { readTsOptions, type TsOptions } from './tsconfig.js';
import type { ProjectInfo, ServerEntry } from './types.js';
import { workspaceMembers } from './workspace.js';

type PackageJson = Record<string, unknown> & {
  main?: unknown;
  type?: unknown;
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
const ENTRY_NAMES = ['server', 'app', 'index', 'main'];

export interface DetectOptions {
  /** `--package-manager`: overrides detection, but never in a way that would create a second lockfile. */
  packageManager?: string | undefined;
  /** `--entry`: the server entry, relative to the current folder; replaces the search. */
  entry?: string | undefined;
}

/** Where components mount their routers, so a file that already mounts one by hand counts as the entry. */
const ROUTER_MODULE = 'routes/auth';

/** Reads the target app once and answers every question the pipeline has about it. Writes nothing. */
export function detectProject(cwd: string, env: NodeJS.ProcessEnv = process.env, options: DetectOptions = {}): ProjectInfo {
  const { root, packageJson, packageJsonPath, workspaceRoot } = findExpressPackage(path.resolve(cwd));
  const dependencies = { ...(packageJson.devDependencies ?? {}), ...(packageJson.dependencies ?? {}) };
  const tsconfigPath = fs.existsSync(path.join(root, 'tsconfig.json')) ? path.join(root, 'tsconfig.json') : undefined;
  const tsOptions = tsconfigPath ? readTsOptions(tsconfigPath) : undefined;

  const { entry, entryProblem, entrySource } = findServerEntry(root, packageJson, tsOptions, entryOverride(cwd, root, options.entry));
  const language = entry ? (/\.(c|m)?tsx?$/.test(entry.path) ? 'ts' : 'js') : tsOptions ? 'ts' : 'js';
  const moduleSystem = detectModuleSystem(packageJson, language === 'ts' ? tsOptions : undefined, entry?.path);
  const entryAst = entry && entrySource !== undefined ? safeParse(entrySource, entry.path) : undefined;
  const outputExtension = language === 'ts' ? '.ts' : ((/\.[cm]?js$/.exec(entry?.path ?? '')?.[0] ?? '.js') as '.js' | '.mjs' | '.cjs');

  return {
    root,
    packageJsonPath,
    packageJson,
    language,
    moduleSystem,
    sourceSyntax: detectSourceSyntax(entryAst, language, moduleSystem),
    importExtension: outputExtension === '.mjs' || outputExtension === '.cjs' ? outputExtension : detectImportExtension(entryAst, language, moduleSystem, tsOptions),
    outputExtension,
    esModuleInterop: language === 'js' || moduleSystem === 'esm' || tsOptions?.esModuleInterop === true || /^node/.test(tsOptions?.module ?? ''),
    topLevelAwait: supportsTopLevelAwait(language, moduleSystem, tsOptions),
    srcDir: detectSrcDir(root, entry?.path),
    entry,
    entryProblem,
    expressMajor: detectExpressMajor(root, dependencies.express),
    packageManager: options.packageManager === undefined ? detectPackageManager(root, env, workspaceRoot ?? root) : resolvePackageManager(root, options.packageManager),
    workspaceRoot,
    style: detectStyle(entrySource, entryAst, { root, top: workspaceRoot, file: entry?.path ?? path.join(root, `index${outputExtension}`) }),
    dependencies,
    tsconfigPath,
    port: detectPort(root, [entry?.path, ...scriptCandidates(root, packageJson, tsOptions !== undefined), ...conventionalCandidates(root)]),
  };
}

/**
 * PORT from .env, else the default the code falls back to (`process.env.PORT ?? 4000`, `listen(4000)`) in the
 * entry or the files the start scripts run. Only used to print a working curl line, so a plain text search.
 */
function detectPort(root: string, files: Array<string | undefined>): number | undefined {
  const fromEnv = readText(path.join(root, '.env'))?.match(/^\s*(?:export\s+)?PORT\s*=\s*['"]?(\d{2,5})\b/m)?.[1];
  if (fromEnv) return Number(fromEnv);
  for (const file of unique(files.filter((file): file is string => file !== undefined))) {
    const text = readText(file);
    const found = text?.match(/\bPORT\b['"\]]*\s*\)?\s*(?:\|\||\?\?)\s*['"]?(\d{2,5})\b/)?.[1] ?? text?.match(/\.listen\(\s*(\d{2,5})\b/)?.[1];
    if (found) return Number(found);
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

interface ExpressPackage {
  root: string;
  packageJson: PackageJson;
  packageJsonPath: string;
  workspaceRoot: string | undefined;
}

/**
 * The nearest package.json (walking up) that declares express. Run at a workspace root that does not, the
 * one member package that does is the target; several are a choice only the user can make (`--cwd`).
 */
function findExpressPackage(start: string): ExpressPackage {
  if (!fs.existsSync(start)) {
    throw new CliError(`The directory ${start} does not exist.`, { hint: 'Pass --cwd <dir> pointing at your Express app.' });
  }
  const seen: string[] = [];
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const packageJson = readPackageJson(file);
      seen.push(file);
      if (declaresExpress(packageJson)) return { root: dir, packageJson, packageJsonPath: file, workspaceRoot: enclosingWorkspace(dir) };
      const member = dir === start ? workspaceMemberWithExpress(dir, packageJson) : undefined;
      if (member) return member;
    }
    if (path.dirname(dir) === dir) break;
  }
  if (seen.length === 0) {
    throw new CliError(`No package.json found in ${start} or any folder above it.`, {
      hint: 'Run this inside your Express app (the folder with its package.json), or pass --cwd <dir>.',
    });
  }
  throw new CliError(`No package.json with express in its dependencies was found (looked at ${seen.join(', ')}).`, {
    hint: 'Add Express first (npm install express), or pass --cwd <dir> pointing at your Express app.',
  });
}

function declaresExpress(packageJson: PackageJson): boolean {
  return 'express' in { ...(packageJson.dependencies ?? {}), ...(packageJson.devDependencies ?? {}) };
}

function workspaceMemberWithExpress(root: string, packageJson: PackageJson): ExpressPackage | undefined {
  const members = workspaceMembers(root, packageJson);
  if (!members) return undefined;
  const withExpress = members.filter((member) => declaresExpress(readPackageJson(path.join(member, 'package.json'))));
  if (withExpress.length > 1) {
    const list = withExpress.map((member) => `  ${path.relative(root, member)}`).join('\n');
    throw new CliError(`This is a workspace root, and ${withExpress.length} of its packages use express:\n${list}`, {
      hint: `Choose one with --cwd, e.g. --cwd ${JSON.stringify(path.relative(root, withExpress[0] ?? root))}.`,
    });
  }
  const [member] = withExpress;
  if (!member) return undefined;
  const packageJsonPath = path.join(member, 'package.json');
  return { root: member, packageJson: readPackageJson(packageJsonPath), packageJsonPath, workspaceRoot: root };
}

/** The workspace root above `dir` whose member list includes it, if any. */
function enclosingWorkspace(dir: string): string | undefined {
  for (let parent = path.dirname(dir); parent !== path.dirname(parent); parent = path.dirname(parent)) {
    const file = path.join(parent, 'package.json');
    if (!fs.existsSync(file)) continue;
    let packageJson: PackageJson;
    try {
      packageJson = readJsonFile(file) as PackageJson;
    } catch {
      continue;
    }
    if (workspaceMembers(parent, packageJson)?.includes(dir)) return parent;
  }
  return undefined;
}

function readPackageJson(file: string): PackageJson {
  try {
    const value = readJsonFile(file);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as PackageJson;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${file} is not valid JSON (${(error as Error).message}).`, {
      hint: 'Fix package.json and run the command again.',
    });
  }
}

/**
 * The file that calls `express()`. Candidates, in order: what package.json `main` and the start/dev scripts
 * run (mapping dist/*.js back to src/*.ts), then server/app/index/main under src/ and the root. Each is
 * confirmed by content; a candidate that does not create the app itself (bin/www, an index.ts that imports
 * app.ts) is followed one import deep. In a TypeScript app, compiled output (the outDir, dist/, build/, out/)
 * is never a candidate: once the app has been built it holds an `express()` call too, but it is not the
 * file the user edits, and the next build would overwrite the patch.
 */
function findServerEntry(
  root: string,
  packageJson: PackageJson,
  tsOptions: TsOptions | undefined,
  override: string | undefined,
): { entry: ServerEntry | undefined; entryProblem: string | undefined; entrySource: string | undefined } {
  const isTypeScript = tsOptions !== undefined;
  const compiled = (file: string) => isTypeScript && isBuildOutput(root, file, tsOptions.outDir);
  // `--entry` is the only candidate; otherwise the file an earlier run patched (backternity.json) comes first.
  const candidates = override
    ? [override]
    : unique([...recordedEntries(root), ...scriptCandidates(root, packageJson, isTypeScript), ...conventionalCandidates(root)]).filter(
        (file) => !compiled(file),
      );
  const followed: string[] = [];
  const unparsable: string[] = [];
  for (const file of candidates) {
    const hit = inspect(file);
    if (hit) return hit;
    const source = fs.readFileSync(file, 'utf8');
    const ast = safeParse(source, file);
    if (ast) for (const specifier of relativeSpecifiers(ast)) followed.push(...resolveLocal(path.dirname(file), specifier));
  }
  for (const file of unique(followed).filter((file) => !compiled(file))) {
    const hit = inspect(file);
    if (hit) return hit;
  }
  const looked = candidates.map((file) => path.relative(root, file)).join(', ');
  const problem = unparsable.length
    ? `${unparsable.join('; ')} (fix the syntax error and run again)`
    : candidates.length
      ? `none of ${looked} calls express()`
      : 'no server.ts/app.ts/index.ts (or .js) under src/ or the project root, and package.json main/scripts name no file';
  return { entry: undefined, entrySource: undefined, entryProblem: problem };

  function inspect(file: string) {
    const source = fs.readFileSync(file, 'utf8');
    let app;
    try {
      app = findExpressApp(source, file);
    } catch (error) {
      // Not a usable entry; if nothing else is, the error says which file failed to parse and where.
      unparsable.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
    if (!app) {
      // Mounted by hand (the lines an earlier run printed): the entry, though the app is created elsewhere.
      if (!mountsRouterByHand(source, file, ROUTER_MODULE)) return undefined;
      return { entry: { path: file, appVariable: undefined }, entryProblem: undefined, entrySource: source };
    }
    return { entry: { path: file, appVariable: app.appVariable }, entryProblem: undefined, entrySource: source };
  }
}

/** `--entry <file>`: must exist and be inside the app. */
function entryOverride(cwd: string, root: string, entry: string | undefined): string | undefined {
  if (entry === undefined) return undefined;
  const file = path.resolve(cwd, entry);
  const relative = path.relative(root, file);
  if (!isFile(file) || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new CliError(`--entry ${entry}: ${isFile(file) ? `is outside the app at ${root}` : 'no such file'}.`, {
      hint: 'Give the file that creates your Express app (calls express()), relative to the current folder.',
      exitCode: 2,
    });
  }
  return file;
}

/** Entry files an earlier run recorded in backternity.json, if they still exist. */
function recordedEntries(root: string): string[] {
  try {
    // An unreadable manifest is reported by the command that reads it next; here it just names no entry.
    return Object.values(readManifest(root).manifest.components)
      .map((component) => component.entry?.file)
      .filter((file): file is string => typeof file === 'string')
      .map((file) => path.join(root, ...file.split('/')))
      .filter(isFile);
  } catch {
    return [];
  }
}

/** A JavaScript file tsc wrote: under the outDir, or under dist/, build/ or out/ at the root. */
function isBuildOutput(root: string, file: string, outDir: string | undefined): boolean {
  if (!/\.(c|m)?js$/.test(file)) return false;
  const inside = (dir: string) => {
    const relative = path.relative(dir, file);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  };
  return (outDir !== undefined && inside(outDir)) || ['dist', 'build', 'out'].some((dir) => inside(path.join(root, dir)));
}

function scriptCandidates(root: string, packageJson: PackageJson, isTypeScript: boolean): string[] {
  const commands: string[] = [];
  if (typeof packageJson.main === 'string') commands.push(packageJson.main);
  for (const name of ['start', 'dev', 'serve', 'start:dev', 'develop']) {
    const script = packageJson.scripts?.[name];
    if (typeof script === 'string') commands.push(script);
  }
  const files: string[] = [];
  for (const command of commands) {
    for (const token of command.split(/[\s;&|]+/)) {
      const cleaned = token.replace(/^['"]|['"]$/g, '');
      if (!cleaned || cleaned.startsWith('-') || !/[\\/.]/.test(cleaned) || /^https?:/.test(cleaned)) continue;
      files.push(...resolveLocal(root, cleaned));
      // `node dist/server.js` runs compiled output: the source the user edits is src/server.ts.
      if (isTypeScript) {
        // Scripts written on Windows may use backslashes (`node dist\server.js`).
        const mapped = cleaned.replace(/^(\.[\\/])?(dist|build|out|lib)[\\/]/, 'src/').replace(/\.(c|m)?js$/, '.$1ts');
        if (mapped !== cleaned) files.push(...resolveLocal(root, mapped));
      }
    }
  }
  return files;
}

function conventionalCandidates(root: string): string[] {
  const files: string[] = [];
  for (const dir of [path.join(root, 'src'), root]) {
    for (const name of ENTRY_NAMES) {
      for (const ext of SOURCE_EXTENSIONS) {
        const file = path.join(dir, name + ext);
        if (isFile(file)) files.push(file);
      }
    }
  }
  return files;
}

/** Resolves a relative path the way Node or tsc would find a source file: as is, with an extension, or as a folder index. */
function resolveLocal(fromDir: string, specifier: string): string[] {
  const base = path.resolve(fromDir, specifier);
  const stem = base.replace(/\.(c|m)?js$/, '');
  const options = [
    base,
    ...SOURCE_EXTENSIONS.map((ext) => base + ext),
    ...SOURCE_EXTENSIONS.map((ext) => stem + ext),
    ...SOURCE_EXTENSIONS.map((ext) => path.join(base, 'index' + ext)),
  ];
  const found = options.find(isFile);
  return found && !found.includes(`${path.sep}node_modules${path.sep}`) ? [found] : [];
}

/**
 * The module system the generated files run in. JavaScript files take the entry's extension, so its
 * `.mjs`/`.cjs` decides. TypeScript files are `.ts`: package.json `type` decides for Node, tsx and ts-node
 * alike, whatever the entry's own extension; `module: esnext` or `preserve` only says what syntax tsc
 * writes (without `"type": "module"`, tsx runs such files as CommonJS, where top-level await fails).
 */
function detectModuleSystem(packageJson: PackageJson, ts: TsOptions | undefined, entryPath: string | undefined): 'esm' | 'cjs' {
  const packageType = packageJson.type === 'module' ? 'esm' : 'cjs';
  if (ts === undefined || !entryPath || !/\.[cm]?tsx?$/.test(entryPath)) {
    if (entryPath?.match(/\.mjs$/)) return 'esm';
    if (entryPath?.match(/\.cjs$/)) return 'cjs';
    return packageType;
  }
  const module = ts.module;
  if (module === 'commonjs' || module === 'umd' || module === 'amd') return 'cjs';
  return packageType;
}

function detectSourceSyntax(ast: ReturnType<typeof safeParse>, language: 'ts' | 'js', moduleSystem: 'esm' | 'cjs') {
  const body = ast?.program.body ?? [];
  if (body.some((statement) => statement.type === 'ImportDeclaration')) return 'import' as const;
  if (body.some(declaresRequire)) return 'require' as const;
  return language === 'ts' || moduleSystem === 'esm' ? ('import' as const) : ('require' as const);
}

function declaresRequire(statement: Statement): boolean {
  return (
    statement.type === 'VariableDeclaration' &&
    statement.declarations.some(
      ({ init }) => init?.type === 'CallExpression' && init.callee.type === 'Identifier' && init.callee.name === 'require',
    )
  );
}

/**
 * Node's ESM loader and TypeScript's node16/nodenext resolution need `./file.js` in relative imports; CommonJS
 * and bundler resolution do not. What the entry file already does wins over what the config allows.
 */
function detectImportExtension(
  ast: ReturnType<typeof safeParse>,
  language: 'ts' | 'js',
  moduleSystem: 'esm' | 'cjs',
  ts: TsOptions | undefined,
): '' | '.js' | '.ts' {
  const relative = ast ? relativeSpecifiers(ast) : [];
  // The entry's own imports are the best evidence: `./x.ts` is what an app run by Node's type stripping (or
  // compiled with rewriteRelativeImportExtensions) writes, and there `./x.js` would not resolve.
  if (language === 'ts' && relative.length > 0 && relative.every((specifier) => /\.(c|m)?ts$/.test(specifier))) return '.ts';
  if (relative.length > 0) return relative.every((specifier) => /\.(c|m)?js$/.test(specifier)) ? '.js' : needsExtension();
  return needsExtension();

  function needsExtension(): '' | '.js' | '.ts' {
    if (moduleSystem !== 'esm') return '';
    if (language === 'js') return '.js';
    if (ts?.rewriteRelativeImportExtensions === true) return '.ts';
    const resolution = ts?.moduleResolution ?? (ts?.module?.startsWith('node') ? ts.module : undefined);
    return resolution !== undefined && /^node(16|18|20|next)$/.test(resolution) ? '.js' : '';
  }
}

function supportsTopLevelAwait(language: 'ts' | 'js', moduleSystem: 'esm' | 'cjs', ts: TsOptions | undefined): boolean {
  if (moduleSystem !== 'esm') return false;
  if (language === 'js') return true;
  const module = ts?.module;
  if (!module || !/^(es2022|esnext|system|preserve|node16|node18|node20|nodenext)$/.test(module)) return false;
  // node* modules imply a modern target; otherwise an old or missing target (ES5 in TypeScript 5) forbids it.
  const target = ts?.target;
  if (!target) return module.startsWith('node') || module === 'preserve';
  return !/^(es3|es5|es2015|es2016|es6)$/.test(target);
}

function detectSrcDir(root: string, entryPath: string | undefined): string {
  const src = path.join(root, 'src');
  if (entryPath) {
    const relative = path.relative(src, entryPath);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return src;
    return path.dirname(entryPath) === root ? root : fs.existsSync(src) ? src : path.dirname(entryPath);
  }
  return fs.existsSync(src) ? src : root;
}

function detectExpressMajor(root: string, range: string | undefined): number | undefined {
  try {
    const require = createRequire(path.join(root, 'package.json'));
    const version = (JSON.parse(fs.readFileSync(require.resolve('express/package.json'), 'utf8')) as { version?: string }).version;
    const major = Number(version?.split('.')[0]);
    if (Number.isInteger(major)) return major;
  } catch {
    // Not installed yet: fall back to the declared range.
  }
  const match = range?.match(/(\d+)/);
  return match ? Number(match[1]) : undefined;
}

function safeParse(source: string, file: string) {
  try {
    return parseSource(source, file);
  } catch {
    return undefined;
  }
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
