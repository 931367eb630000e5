import fs from 'node:fs';
import path from 'node:path';
import { getComponent } from '../components/index.js';
import { isStore, STORES, type Store } from '../components/types.js';
import { applyFiles, assertWritable, restoreSnapshot, rollback, snapshotFiles, type Journal, type Snapshot } from '../apply/apply.js';
import { CliError } from '../errors.js';
import { runInstall } from '../install/install.js';
import { MANIFEST_FILE, readManifest, type InstalledComponent } from '../manifest/manifest.js';
import { buildPlan } from '../plan/buildPlan.js';
import { planDiffs } from '../plan/diff.js';
import { planToJson } from '../plan/json.js';
import { unmetImports, type UnmetImport } from '../plan/ownFiles.js';
import { display, formatPlan } from '../plan/print.js';
import { changedFiles, conflictsRemaining, ownFileClashes, type ExistingFileMode, type Plan, type PlannedFile } from '../plan/types.js';
import { detectProject } from '../project/detect.js';
import { foreignLockfile, LOCKFILES } from '../project/packageManager.js';
import type { ProjectInfo } from '../project/types.js';
import { isInteractive } from '../ui/interactive.js';
import { createLogger, type Logger } from '../ui/logger.js';
import { startSpinner } from '../ui/spinner.js';

export interface AddOptions {
  cwd: string;
  db?: string;
  yes: boolean;
  dryRun: boolean;
  install: boolean;
  /** `--package-manager`: overrides detection (never towards a second lockfile). */
  packageManager?: string;
  /** `--entry`: the file that creates the Express app, when the search cannot find it. */
  entry?: string;
  overwrite?: boolean;
  skipExisting?: boolean;
  diff?: boolean;
  json?: boolean;
  /** `--refresh-cookie`: the refresh token travels in an HttpOnly cookie (remembered in the installed manifest). */
  refreshCookie?: boolean;
  /** `--redis` / `--no-redis` (undefined: neither given): rate limits and revocation checks shared through Redis (remembered in the installed manifest). */
  redis?: boolean;
}

/**
 * Exit codes (documented in `add --help`): 0 done · 1 error, nothing changed · 2 usage error · 3 done, but
 * conflict markers remain in some files · 130 interrupted (everything restored).
 */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_CONFLICTS = 3;
export const EXIT_INTERRUPTED = 130;

export async function addCommand(componentName: string, options: AddOptions): Promise<number> {
  try {
    return await runAdd(componentName, options);
  } catch (error) {
    // CI reads stdout as JSON: an error is a JSON document there too (the handler still prints it to stderr).
    if (options.json && error instanceof CliError) {
      process.stdout.write(`${JSON.stringify({ error: { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode } }, null, 2)}\n`);
    }
    throw error;
  }
}

async function runAdd(componentName: string, options: AddOptions): Promise<number> {
  if (options.overwrite && options.skipExisting) {
    throw new CliError('--overwrite and --skip-existing cannot be used together.', {
      hint: '--overwrite replaces existing files (after a backup); --skip-existing keeps them. Choose one.',
      exitCode: EXIT_USAGE,
    });
  }
  const dryRun = options.dryRun || Boolean(options.diff);
  // With --json, stdout carries only the JSON document; everything for people goes to stderr.
  const logger = createLogger(options.json ? process.stderr : process.stdout);
  const component = getComponent(componentName);
  const project = detectProject(path.resolve(options.cwd), process.env, { packageManager: options.packageManager, entry: options.entry });
  const installed = readManifest(project.root);
  const store = await chooseStore(project, options, installed.manifest.components[component.name], logger);
  const refreshCookie = Boolean(options.refreshCookie || installed.manifest.components[component.name]?.options.refreshCookie);
  const redis = chooseRedis(project, options, installed.manifest.components[component.name]);
  const manifest = component.resolve(project, { store: store.value, refreshCookie, redis: redis.value, environment: process.env });
  const plan = buildPlan(project, manifest, {
    store: store.value,
    refreshCookie,
    redis: redis.value,
    install: options.install && !dryRun,
    mode: existingFileMode(options),
    installed,
  });

  const { colors } = logger;
  logger.info(
    `${colors.bold(`backternity add ${component.name}`)} in ${colors.cyan(project.root)} ${colors.dim(`(store: ${store.value}, ${store.reason}; ${redis.summary}; ${project.packageManager.name}: ${project.packageManager.reason})`)}`,
  );
  logger.line();

  const clashes = ownFileClashes(plan);
  if (dryRun) {
    for (const line of formatPlan(plan, colors)) logger.info(line);
    if (options.diff && !options.json) for (const { diff } of planDiffs(plan)) logger.info(diff.trimEnd());
    logger.line();
    logger.info(colors.yellow('Dry run: nothing was written.'));
    // A dry run answers with the code the real run would give, so CI can ask "would this conflict?".
    const unmet = unmetImports(plan.files);
    const exitCode = clashes.length || unmet.length ? EXIT_ERROR : conflictsRemaining(plan).length ? EXIT_CONFLICTS : 0;
    if (clashes.length) logger.warn(clashError(plan, clashes).message);
    if (unmet.length) logger.warn(unmetImportsError(plan, unmet).message);
    emitJson(options, plan, { dryRun, exitCode });
    return exitCode;
  }
  if (clashes.length) throw clashError(plan, clashes);
  const unmet = unmetImports(plan.files);
  if (unmet.length) throw unmetImportsError(plan, unmet);
  if (plan.install) assertOneLockfile(project);

  const toWrite = changedFiles(plan);
  assertWritable(toWrite);
  await applyAndInstall(plan, toWrite, logger);

  for (const line of formatPlan(plan, colors)) logger.info(line);
  if (toWrite.length > 0) printNextSteps(plan, logger);
  const conflicts = conflictsRemaining(plan);
  const exitCode = conflicts.length ? EXIT_CONFLICTS : 0;
  if (conflicts.length) {
    logger.line();
    logger.warn(
      `Conflict markers remain in ${conflicts.map((file) => display(plan, file.path)).join(', ')}: your edits and the template's overlap there. ` +
        `Keep what you want between <<<<<<< and >>>>>>>, delete the markers, then run again (exit code ${EXIT_CONFLICTS}).`,
    );
  }
  emitJson(options, plan, { dryRun, exitCode });
  return exitCode;
}

function existingFileMode(options: AddOptions): ExistingFileMode {
  if (options.overwrite) return 'overwrite';
  if (options.skipExisting) return 'skip-existing';
  return 'merge';
}

function emitJson(options: AddOptions, plan: Plan, outcome: { dryRun: boolean; exitCode: number }): void {
  if (!options.json) return;
  process.stdout.write(`${JSON.stringify(planToJson(plan, { ...outcome, withDiff: Boolean(options.diff) }), null, 2)}\n`);
}

/**
 * A file the user wrote stands where a component file goes (it is not in backternity.json and differs from
 * the template). Nothing is written: only the user can say whether to keep it or take the template.
 */
function clashError(plan: Plan, clashes: PlannedFile[]): CliError {
  const list = clashes.map((file) => `  ${display(plan, file.path)}`).join('\n');
  return new CliError(`${clashes.length} file(s) where ${plan.component} installs its files are your own (not installed by backternity):\n${list}`, {
    hint:
      'Nothing was changed. Choose one, then run again:\n' +
      '  move or rename your files (the component brings its own)\n' +
      `  --overwrite       take the templates; your files are first saved under .backternity/backup/\n` +
      "  --skip-existing   keep your files as they are (only if they export what the component's files import)",
  });
}

/** Your own file kept by --skip-existing lacks exports the component's files import: the app would not build. */
function unmetImportsError(plan: Plan, unmet: UnmetImport[]): CliError {
  const list = unmet.map(({ file, missing }) => `  ${display(plan, file)}: ${missing.join(', ')}`).join('\n');
  return new CliError(`The component's files import what your own file(s) kept by --skip-existing do not export:\n${list}`, {
    hint:
      'Nothing was changed: the app would not build. Move or rename your file and run again (the component brings its own),\n' +
      'add those exports to it, or take the template with --overwrite (your file is backed up first).',
  });
}

/**
 * Writes the plan (the manifest last) and installs dependencies as one transaction: an error, a failed
 * install or Ctrl-C/SIGTERM at any point restores every file the run changed, the manifest included.
 */
async function applyAndInstall(plan: Plan, toWrite: PlannedFile[], logger: Logger): Promise<void> {
  const project = plan.project;
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  let journal: Journal | undefined;
  // The package manager rewrites its lockfile (the workspace root's, for a member): put back on failure too.
  let lockfiles: Snapshot | undefined;
  try {
    journal = applyFiles(toWrite);
    const hasNewDeps = Object.keys(plan.dependencies.added).length + Object.keys(plan.devDependencies.added).length > 0;
    if (plan.install && !abort.signal.aborted && (hasNewDeps || !hasNodeModules(project))) {
      const dirs = [project.root, ...(project.workspaceRoot ? [project.workspaceRoot] : [])];
      lockfiles = snapshotFiles(dirs.flatMap((dir) => LOCKFILES.map(([file]) => path.join(dir, file))));
      const spinner = startSpinner(logger, `Installing dependencies with ${project.packageManager.name}`);
      try {
        await runInstall(project.packageManager.name, project.root, abort.signal);
        spinner.succeed(`Installed dependencies with ${project.packageManager.name}`);
      } catch (error) {
        spinner.fail(abort.signal.aborted ? 'Install interrupted' : 'Install failed');
        throw error;
      }
    }
    if (abort.signal.aborted) throw new Error('interrupted');
  } catch (error) {
    const problems = [...(journal ? rollback(journal) : []), ...(lockfiles ? restoreSnapshot(lockfiles) : [])];
    if (problems.length) logger.error(`Could not restore: ${problems.join('; ')}`);
    // node_modules is the package manager's to settle; only say so when it may have been touched.
    const modulesNote = lockfiles ? ` node_modules may hold part of the install: run \`${project.packageManager.name} install\` to settle it.` : '';
    if (abort.signal.aborted) {
      throw new CliError(`Interrupted: every file this run had changed was restored (${MANIFEST_FILE} and the lockfile included).${modulesNote}`, { exitCode: EXIT_INTERRUPTED });
    }
    throw journal ? annotateRollback(error, modulesNote) : error;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/**
 * `--db` wins; otherwise the app's dependencies decide; otherwise ask (interactive) or use mongodb, the
 * kit's default. Dependencies that point two ways are a question only a person or a flag can answer.
 */
async function chooseStore(
  project: ProjectInfo,
  options: AddOptions,
  installed: InstalledComponent | undefined,
  logger: Logger,
): Promise<{ value: Store; reason: string }> {
  if (options.db !== undefined) {
    if (!isStore(options.db)) {
      throw new CliError(`Unknown --db value "${options.db}".`, { hint: `Use one of: ${STORES.join(', ')}.`, exitCode: EXIT_USAGE });
    }
    if (installed && installed.options.store !== options.db) {
      throw new CliError(`This app has auth-jwt installed with --db ${installed.options.store} (see ${MANIFEST_FILE}), not ${options.db}.`, {
        hint: `Run with --db ${installed.options.store} (or without --db) to upgrade it; to switch stores, run \`backternity remove auth-jwt\` first. Nothing was changed.`,
      });
    }
    return { value: options.db, reason: '--db' };
  }
  // An upgrade keeps the choices made at install time.
  if (installed) return { value: installed.options.store, reason: `from ${MANIFEST_FILE}` };
  const hints = storeHints(project.dependencies);
  const interactive = isInteractive() && !options.yes;
  if (hints.length === 1 && hints[0]) return { value: hints[0].store, reason: `detected from ${hints[0].dependency}` };
  if (hints.length > 1 && !interactive) {
    throw new CliError(
      `The app's dependencies point to more than one store (${hints.map((hint) => `${hint.dependency} → ${hint.store}`).join(', ')}).`,
      { hint: `Choose one with --db <${STORES.join('|')}>.` },
    );
  }
  if (!interactive) return { value: 'mongodb', reason: 'default' };
  const { default: prompts } = await import('prompts');
  const { store } = (await prompts(
    {
      type: 'select',
      name: 'store',
      message: 'Where should users and sessions be stored?',
      choices: [
        { title: 'MongoDB (mongoose)', value: 'mongodb', description: 'needs MONGODB_URI' },
        { title: 'PostgreSQL (pg)', value: 'postgres', description: 'needs DATABASE_URL' },
        { title: 'PGlite (embedded PostgreSQL, no server)', value: 'pglite', description: 'stores data in a local folder' },
      ],
      initial: Math.max(0, STORES.indexOf(hints[0]?.store ?? 'mongodb')),
    },
    { onCancel: () => true },
  )) as { store?: Store };
  if (!store) throw new CliError('Cancelled: nothing was changed.', { exitCode: 130 });
  logger.line();
  return { value: store, reason: 'chosen' };
}

/**
 * Redis is used when asked for (`--redis`), when the installed record says so, or when the app already
 * depends on a Redis client (it then runs Redis anyway, and usually more than one instance).
 */
function chooseRedis(project: ProjectInfo, options: AddOptions, installed: InstalledComponent | undefined): { value: boolean; summary: string } {
  if (options.redis === true) return { value: true, summary: 'redis: --redis' };
  if (options.redis === false) {
    // Dropping Redis would leave its files and REDIS_URL behind, wired to nothing: that is remove's job.
    if (installed?.options.redis) {
      throw new CliError(`This app has auth-jwt installed with --redis (see ${MANIFEST_FILE}).`, {
        hint: 'Run without --no-redis to upgrade it; to go back to in-process limits, run `backternity remove auth-jwt` first, then add it again with --no-redis. Nothing was changed.',
      });
    }
    return { value: false, summary: 'limits: in-process (--no-redis)' };
  }
  if (installed) return installed.options.redis ? { value: true, summary: `redis: from ${MANIFEST_FILE}` } : { value: false, summary: 'limits: in-process' };
  const client = ['ioredis', 'redis'].find((name) => name in project.dependencies);
  if (client) return { value: true, summary: `redis: detected from ${client}` };
  return { value: false, summary: 'limits: in-process' };
}

const STORE_HINTS: Array<[dependency: string, store: Store]> = [
  ['mongoose', 'mongodb'],
  ['mongodb', 'mongodb'],
  ['@electric-sql/pglite', 'pglite'],
  ['pg', 'postgres'],
  ['postgres', 'postgres'],
  ['@prisma/client', 'postgres'],
  ['prisma', 'postgres'],
  ['drizzle-orm', 'postgres'],
  ['knex', 'postgres'],
  ['sequelize', 'postgres'],
];

function storeHints(dependencies: Record<string, string>): Array<{ store: Store; dependency: string }> {
  const byStore = new Map<Store, string>();
  for (const [dependency, store] of STORE_HINTS) {
    if (dependency in dependencies && !byStore.has(store)) byStore.set(store, dependency);
  }
  return [...byStore].map(([store, dependency]) => ({ store, dependency }));
}

/** Installing must not add a second lockfile (a packageManager field that disagrees with the lockfile present). */
function assertOneLockfile(project: ProjectInfo): void {
  const { name } = project.packageManager;
  const foreign = foreignLockfile([project.root, ...(project.workspaceRoot ? [project.workspaceRoot] : [])], name);
  if (!foreign) return;
  throw new CliError(`${name} would install next to ${path.relative(project.root, foreign) || foreign}, leaving the app with two lockfiles (${project.packageManager.reason}).`, {
    hint: `Nothing was changed. Delete the lockfile you no longer use (or fix the packageManager field), or run with --no-install and install yourself.`,
  });
}

function hasNodeModules(project: ProjectInfo): boolean {
  return fs.existsSync(path.join(project.root, 'node_modules'));
}

function annotateRollback(error: unknown, note: string): unknown {
  if (error instanceof CliError) {
    return new CliError(`${error.message} Every file this run had changed was restored.${note}`, { hint: error.hint, exitCode: error.exitCode });
  }
  return error;
}

function printNextSteps(plan: Plan, logger: Logger): void {
  const { colors } = logger;
  const project = plan.project;
  const run = project.packageManager.name === 'npm' ? 'npm run' : project.packageManager.name;
  const scripts = (project.packageJson.scripts ?? {}) as Record<string, unknown>;
  const npmStart = project.packageManager.name === 'npm' ? 'npm start' : `${run} start`;
  // A TypeScript app whose start script runs compiled output must be built first.
  const startsBuilt = typeof scripts.start === 'string' && project.language === 'ts' && !/\b(tsx|ts-node|ts-node-dev|nodemon|bun)\b|\.[cm]?ts\b/.test(scripts.start);
  const start =
    'dev' in scripts ? `${run} dev` : 'start' in scripts ? (startsBuilt && 'build' in scripts ? `${run} build && ${npmStart}` : npmStart) : 'start your server';
  const port = project.port ?? 3000;
  const fromDir = project.entry ? path.dirname(project.entry.path) : project.srcDir;
  let middleware = path.relative(fromDir, path.join(project.srcDir, 'middleware', 'auth')).split(path.sep).join('/');
  if (!middleware.startsWith('.')) middleware = `./${middleware}`;
  middleware += project.importExtension;
  const storeNote = {
    mongodb: 'Make sure MongoDB is reachable at MONGODB_URI (see .env).',
    postgres: 'Make sure PostgreSQL is reachable at DATABASE_URL (see .env); the tables are created at start-up.',
    pglite: 'PGlite needs no server: data lives in PGLITE_DATA_DIR (see .env).',
  }[plan.store];
  logger.line();
  logger.info(colors.bold('Next steps'));
  const steps = [
    ...(plan.install ? [] : [`Install the dependencies: ${colors.cyan(`${project.packageManager.name} install`)}`]),
    storeNote,
    `Start the app: ${colors.cyan(start)}`,
    `Try it: ${colors.cyan(`curl -X POST http://localhost:${port}/api/auth/register -H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"a long passphrase"}'`)}`,
    `Protect your own routes: ${colors.cyan(
      project.sourceSyntax === 'require'
        ? `const { validateAuth } = require('${middleware}');`
        : `import { validateAuth } from '${middleware}';`,
    )} then ${colors.cyan("app.get('/private', validateAuth, (req, res) => res.json(req.user))")}`,
    ...plan.nextSteps,
  ];
  steps.forEach((step, index) => logger.info(`  ${index + 1}. ${step}`));
}
