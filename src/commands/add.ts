import fs from 'node:fs';
import path from 'node:path';
import { getComponent } from '../components/index.js';
import { isStore, STORES, type Store } from '../components/types.js';
import { applyFiles, assertWritable, rollback } from '../apply/apply.js';
import { CliError } from '../errors.js';
import { runInstall } from '../install/install.js';
import { buildPlan } from '../plan/buildPlan.js';
import { formatPlan } from '../plan/print.js';
import { changedFiles, type Plan } from '../plan/types.js';
import { detectProject } from '../project/detect.js';
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
}

/** Exit codes: 0 done, 1 error (nothing changed), 3 done but some files were kept as conflicts. */
export const EXIT_CONFLICTS = 3;

export async function addCommand(componentName: string, options: AddOptions): Promise<number> {
  const logger = createLogger();
  const component = getComponent(componentName);
  const project = detectProject(path.resolve(options.cwd));
  const store = await chooseStore(project, options, logger);
  const manifest = component.resolve(project, { store: store.value });
  const plan = buildPlan(project, manifest, { store: store.value, install: options.install && !options.dryRun });

  const { colors } = logger;
  logger.info(
    `${colors.bold(`backternity add ${component.name}`)} in ${colors.cyan(project.root)} ${colors.dim(`(store: ${store.value}, ${store.reason}; ${project.packageManager.name}: ${project.packageManager.reason})`)}`,
  );
  logger.line();

  if (options.dryRun) {
    for (const line of formatPlan(plan, colors)) logger.info(line);
    logger.line();
    logger.info(colors.yellow('Dry run: nothing was written.'));
    return 0;
  }

  const toWrite = changedFiles(plan);
  assertWritable(toWrite);
  const journal = applyFiles(toWrite);

  const hasNewDeps = Object.keys(plan.dependencies.added).length + Object.keys(plan.devDependencies.added).length > 0;
  if (plan.install && (hasNewDeps || !hasNodeModules(project))) {
    const abort = new AbortController();
    const onInterrupt = () => abort.abort();
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    const spinner = startSpinner(logger, `Installing dependencies with ${project.packageManager.name}`);
    try {
      await runInstall(project.packageManager.name, project.root, abort.signal);
      spinner.succeed(`Installed dependencies with ${project.packageManager.name}`);
    } catch (error) {
      spinner.fail(abort.signal.aborted ? 'Install interrupted' : 'Install failed');
      const problems = rollback(journal);
      if (problems.length) logger.error(`Could not restore: ${problems.join('; ')}`);
      if (abort.signal.aborted) throw new CliError('Interrupted: every file this run had changed was restored.', { exitCode: 130 });
      throw annotateRollback(error);
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
  }

  for (const line of formatPlan(plan, colors)) logger.info(line);
  printNextSteps(plan, logger);
  const conflicts = plan.files.filter((file) => file.action === 'conflict');
  if (conflicts.length) {
    logger.warn(`${conflicts.length} file(s) already existed with different content and were kept as they are (exit code ${EXIT_CONFLICTS}).`);
    return EXIT_CONFLICTS;
  }
  return 0;
}

/**
 * `--db` wins; otherwise the app's dependencies decide; otherwise ask (interactive) or use mongodb, the
 * kit's default. Dependencies that point two ways are a question only a person or a flag can answer.
 */
async function chooseStore(project: ProjectInfo, options: AddOptions, logger: Logger): Promise<{ value: Store; reason: string }> {
  if (options.db !== undefined) {
    if (!isStore(options.db)) {
      throw new CliError(`Unknown --db value "${options.db}".`, { hint: `Use one of: ${STORES.join(', ')}.` });
    }
    return { value: options.db, reason: '--db' };
  }
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

function hasNodeModules(project: ProjectInfo): boolean {
  return fs.existsSync(path.join(project.root, 'node_modules'));
}

function annotateRollback(error: unknown): unknown {
  if (error instanceof CliError) {
    return new CliError(`${error.message} Every file this run had changed was restored.`, { hint: error.hint, exitCode: error.exitCode });
  }
  return error;
}

function printNextSteps(plan: Plan, logger: Logger): void {
  const { colors } = logger;
  const project = plan.project;
  const run = project.packageManager.name === 'npm' ? 'npm run' : project.packageManager.name;
  const scripts = (project.packageJson.scripts ?? {}) as Record<string, unknown>;
  const start = 'dev' in scripts ? `${run} dev` : 'start' in scripts ? (project.packageManager.name === 'npm' ? 'npm start' : `${run} start`) : 'start your server';
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
    `Try it: ${colors.cyan(`curl -X POST http://localhost:3000/api/auth/register -H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"a long passphrase"}'`)}`,
    `Protect your own routes: ${colors.cyan(`import { validateAuth } from '${middleware}';`)} then ${colors.cyan("app.get('/private', validateAuth, (req, res) => res.json(req.user))")}`,
    ...plan.nextSteps,
  ];
  steps.forEach((step, index) => logger.info(`  ${index + 1}. ${step}`));
}
