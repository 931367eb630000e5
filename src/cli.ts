#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
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
  // Usage errors become exceptions, so the handler below can exit with code 2 (commander would use 1).
  .exitOverride()
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
  .addOption(cwdOption('folder of the Express app (the nearest package.json with express is used)'))
  .addOption(new Option('--db <store>', 'where users and sessions live: mongodb | postgres | pglite (default: detected from dependencies, else asked, else mongodb)'))
  .option('-y, --yes', 'accept defaults and never prompt (implied when CI is set or stdin/stdout is not a terminal)', false)
  .option('--dry-run', 'print every file that would be created or changed, and write nothing', false)
  .option('--diff', 'print unified diffs of what would change (implies --dry-run; .env values are redacted)', false)
  .option('--overwrite', 'take the template for every existing component file that differs; your version is saved first under .backternity/backup/<time>/', false)
  .option('--skip-existing', 'leave every existing component file as it is; only missing ones are created', false)
  .option('--json', 'print the plan/result as JSON on stdout (human output goes to stderr)', false)
  .option('--no-install', 'declare the dependencies in package.json but do not install them')
  .addOption(new Option('--entry <file>', 'the file that creates your Express app (calls express()), when the search does not find it; relative to --cwd'))
  .addOption(new Option('--package-manager <name>', 'install with npm | pnpm | yarn | bun instead of the detected one (refused if it would add a second lockfile)'))
  .option('--refresh-cookie', 'send the refresh token in an HttpOnly __Host- cookie instead of the JSON body (writes REFRESH_TOKEN_TRANSPORT=cookie and AUTH_ALLOWED_ORIGINS to .env)', false)
  .option('--redis', 'share rate limits and revocation checks between instances through Redis (adds ioredis and REDIS_URL; default: on when the app depends on ioredis or redis)')
  .option('--no-redis', 'keep rate limits and revocation checks in-process, even when the app depends on a Redis client')
  .addHelpText(
    'after',
    `
What it does (auth-jwt):
  1. finds your app: the nearest package.json with express, its source dir and the file that calls express()
  2. copies routes/auth, services, middleware/auth (validateAuth), models, utils/response and config/auth
     into your source dir
  3. imports the router in your server entry and mounts it at /api/auth before your 404/error handlers
  4. adds JWT_SECRET (freshly generated), JWT_EXPIRES_IN, REFRESH_EXPIRES_IN and the store's setting to .env,
     placeholders to .env.example, and .env to .gitignore (keys you already set are never changed)
  5. declares the dependencies in package.json (a range you already declared is kept) and installs them
  6. records what it installed in backternity.json (commit it, with the .backternity/ folder next to it)

Running it again (to upgrade to newer templates) never loses a line you wrote. Per component file:
  create     missing: written
  identical  already the template's content: nothing to do
  update     you never edited it and the template changed: replaced
  merged     you edited it and the template changed, in different places: both kept (three-way merge)
  conflict   your edits and the template's overlap: git-style <<<<<<< ======= >>>>>>> markers written
  skip       kept as it is (your edits, the template did not change, or --skip-existing)
A file that is not in backternity.json and differs from the template is your own: the run stops before
writing anything and lists it; choose --skip-existing, --overwrite (backs it up first) or move the file.
Patches to the server entry, .env, .env.example, .gitignore and package.json only add what is missing.
Non-interactive runs (CI set, or no terminal) never prompt: conflicts are merged or marked, never overwritten.

Exit codes: 0 done · 1 error, nothing changed · 2 usage error · 3 done, but conflict markers remain
            (a --dry-run answers with the code the real run would give) · 130 interrupted, everything restored

Examples:
  $ npx backternity add auth-jwt --db postgres
  $ npx backternity add auth-jwt --cwd ./apps/api --db pglite --yes --no-install
  $ npx backternity add auth-jwt --diff          # after upgrading backternity: what would change?`,
  )
  .action(async (component: string, options: import('./commands/add.js').AddOptions) => {
    const { addCommand } = await import('./commands/add.js');
    process.exitCode = await addCommand(component, options);
  });

program
  .command('diff')
  .description('show what differs between the installed files of a component and its current templates')
  .argument('<component>', 'an installed component (see backternity.json)')
  .addOption(cwdOption('folder of the Express app'))
  .option('--json', 'print the result as JSON on stdout', false)
  .addHelpText('after', '\nExit codes: 0 done (differences or not) · 1 error (e.g. the component is not installed) · 2 usage error')
  .action(async (component: string, options: { cwd: string; json: boolean }) => {
    const { diffCommand } = await import('./commands/diff.js');
    process.exitCode = await diffCommand(component, options);
  });

program
  .command('remove')
  .description('remove a component: its unmodified files and the lines it added (the reverse of add)')
  .argument('<component>', 'an installed component (see backternity.json)')
  .addOption(cwdOption('folder of the Express app'))
  .option('-y, --yes', 'never prompt: files you edited are kept and listed (implied when CI is set or no terminal)', false)
  .option('--dry-run', 'print what would be removed, and change nothing', false)
  .option('--json', 'print the plan/result as JSON on stdout (human output goes to stderr)', false)
  .addHelpText(
    'after',
    `
What it removes (only what backternity.json says it added):
  - component files you never edited (edited ones: asked when interactive, otherwise kept and listed)
  - the router import, mount and connect lines in the server entry
  - dependencies it declared, if their range is still the one it wrote (run your install to prune)
  - its keys in .env.example, if they still hold the placeholder it wrote
Kept on purpose: .env (it holds your secret: delete the keys by hand if you want) and .gitignore lines
(ignoring .env stays safe while .env exists).

Exit codes: 0 done · 1 error, nothing changed · 2 usage error · 130 interrupted, everything restored`,
  )
  .action(async (component: string, options: { cwd: string; yes: boolean; dryRun: boolean; json: boolean }) => {
    const { removeCommand } = await import('./commands/remove.js');
    process.exitCode = await removeCommand(component, options);
  });

/** `--cwd`, documented as "current folder" rather than whatever folder --help happened to run in. */
function cwdOption(description: string): Option {
  return new Option('--cwd <dir>', description).default(process.cwd(), 'current folder');
}

program.parseAsync(process.argv).catch(async (error: unknown) => {
  // Commander already printed its message (unknown option, missing argument…); help/version exit 0.
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
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
