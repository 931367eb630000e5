#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { CliError } from './errors.js';

// `backternity list | head` closes the pipe early; that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command()
  .name('backternity')
  .description('Add production-grade backend components to an existing Express app.')
  .version(version, '-v, --version', 'print the version')
  .helpOption('-h, --help', 'show help')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Examples:
  $ npx backternity list
  $ npx backternity add auth-jwt                      # interactive: asks which store to use
  $ npx backternity add auth-jwt --db pglite --yes    # embedded PostgreSQL, no questions
  $ npx backternity add auth-jwt --dry-run            # show what would change, write nothing

Docs: https://www.npmjs.com/package/backternity`,
  );

program
  .command('list')
  .description('list the components you can add')
  .action(async () => {
    const { listCommand } = await import('./commands/list.js');
    process.exitCode = listCommand();
  });

program
  .command('add')
  .description('add a component (e.g. auth-jwt) to the Express app in the current folder')
  .argument('<component>', 'component to add (see `backternity list`)')
  .option('--cwd <dir>', 'folder of the Express app (the nearest package.json with express is used)', process.cwd())
  .addOption(new Option('--db <store>', 'where users and sessions live: mongodb | postgres | pglite (default: detected from dependencies, else asked, else mongodb)'))
  .option('-y, --yes', 'accept defaults and never prompt (implied when CI is set or stdin is not a terminal)', false)
  .option('--dry-run', 'print every file that would be created or changed, and write nothing', false)
  .option('--no-install', 'declare the dependencies in package.json but do not install them')
  .addHelpText(
    'after',
    `
What it does (auth-jwt):
  1. finds your app: the nearest package.json with express, its source dir and the file that calls express()
  2. copies routes/auth, services, middleware/auth (validateAuth), models, utils/response and config/auth
     into your source dir (existing files with other content are kept and reported as conflicts)
  3. imports the router in your server entry and mounts it at /api/auth before your 404/error handlers
  4. adds JWT_SECRET (freshly generated), JWT_EXPIRES_IN, REFRESH_EXPIRES_IN and the store's setting to .env,
     placeholders to .env.example, and .env to .gitignore (keys you already set are never changed)
  5. declares the dependencies in package.json and installs them with your package manager

Exit codes: 0 done · 1 error, nothing changed · 3 done, but some files existed and were kept · 130 interrupted

Examples:
  $ npx backternity add auth-jwt --db postgres
  $ npx backternity add auth-jwt --cwd ./apps/api --db pglite --yes --no-install`,
  )
  .action(async (component: string, options: { cwd: string; db?: string; yes: boolean; dryRun: boolean; install: boolean }) => {
    const { addCommand } = await import('./commands/add.js');
    process.exitCode = await addCommand(component, options);
  });

program.parseAsync(process.argv).catch(async (error: unknown) => {
  const { createColors } = await import('./ui/colors.js');
  const colors = createColors(process.stderr);
  if (error instanceof CliError) {
    process.stderr.write(`${colors.red('✖')} ${error.message}\n`);
    if (error.hint) process.stderr.write(`${error.hint}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`${colors.red('✖')} Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.stderr.write('This is a bug in backternity; please report it with the output above.\n');
  process.exitCode = 1;
});
