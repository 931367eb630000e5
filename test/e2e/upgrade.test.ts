import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fse from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, makeSandbox, repoRoot, runCli, snapshotTree } from '../../scripts/sandbox.mjs';

/**
 * Upgrades never lose a line the user wrote: scaffold with template version A, edit generated files, move
 * the templates to version B (a copy under BACKTERNITY_TEMPLATES_DIR), re-run, and check every file status,
 * the manifest, the flags, `diff`, `remove` and rollback of a run that fails part-way.
 */
const ADD = ['add', 'auth-jwt', '--yes', '--no-install'];
const ENTRY = 'src/server.ts';

interface Box {
  dir: string;
  templates: string;
  cleanup: () => void;
}

function setup(): Box {
  const sandbox = makeSandbox('ts-esm-nodenext');
  const templates = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-templates-'));
  fse.copySync(path.join(repoRoot, 'templates'), templates);
  return {
    dir: sandbox.dir,
    templates,
    cleanup: () => {
      sandbox.cleanup();
      fs.rmSync(templates, { recursive: true, force: true });
    },
  };
}

function run(box: Box, args: string[], env: Record<string, string> = {}) {
  return runCli(args, { cwd: box.dir, env: { BACKTERNITY_TEMPLATES_DIR: box.templates, ...env } });
}

const read = (box: Box, file: string) => fs.readFileSync(path.join(box.dir, file), 'utf8');
const write = (box: Box, file: string, text: string) => fs.writeFileSync(path.join(box.dir, file), text);
const template = (box: Box, file: string) => path.join(box.templates, 'auth-jwt', 'base', ...file.split('/'));
const editTemplate = (box: Box, file: string, edit: (text: string) => string) =>
  fs.writeFileSync(template(box, file), edit(fs.readFileSync(template(box, file), 'utf8')));
const manifest = (box: Box) => JSON.parse(read(box, 'backternity.json'));


function replaceFirstLine(text: string, line: string): string {
  return line + text.slice(text.indexOf('\n'));
}

describe('upgrading an installed component keeps every line the user wrote', () => {
  let box: Box;
  let originalEntry: string;
  let originalPackage: string;
  let versionA: string;
  let upgrade: ReturnType<typeof run>;

  beforeAll(() => {
    box = setup();
    originalEntry = read(box, ENTRY);
    originalPackage = read(box, 'package.json');
    const first = run(box, [...ADD, '--db', 'pglite']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    versionA = manifest(box).components['auth-jwt'].templates;

    // The user edits two generated files: one far from what B changes, one on the very line B changes.
    write(box, 'src/routes/auth.ts', `// my own note at the top\n${read(box, 'src/routes/auth.ts')}`);
    write(box, 'src/config/auth.ts', replaceFirstLine(read(box, 'src/config/auth.ts'), "import { createSecretKey, type KeyObject } from 'node:crypto'; // mine"));
    // Version B of the templates: an untouched file, the far-edited file and the same-line file all change.
    editTemplate(box, 'utils/response.ts', (text) => `${text}\n// v2: response helpers\n`);
    editTemplate(box, 'routes/auth.ts', (text) => `${text}\n// v2: routes\n`);
    editTemplate(box, 'config/auth.ts', (text) => replaceFirstLine(text, "import { createSecretKey, type KeyObject } from 'node:crypto'; // v2"));
    upgrade = run(box, ADD);
  });
  afterAll(() => box?.cleanup());

  it('records what it installed in backternity.json: version, options, hashes, env keys, patches', () => {
    const record = manifest(box).components['auth-jwt'];
    expect(record.options).toEqual({ store: 'pglite' });
    expect(record.files['src/utils/response.ts'].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.entry).toMatchObject({ file: ENTRY, mountPath: '/api/auth' });
    expect(record.env['.env']).toContain('JWT_SECRET');
    expect(record.dependencies).toHaveProperty('jsonwebtoken');
    expect(record.gitignore).toContain('.env');
    expect(read(box, 'backternity.json').endsWith('}\n')).toBe(true);
    expect(fs.existsSync(path.join(box.dir, '.backternity/base/auth-jwt/src/routes/auth.ts.base'))).toBe(true);
  });

  it('updates the untouched file, merges the far edit, marks the overlapping one and exits 3', () => {
    expect(upgrade.code).toBe(3);
    expect(upgrade.stdout).toMatch(/update\s+src\/utils\/response\.ts/);
    expect(upgrade.stdout).toMatch(/merged\s+src\/routes\/auth\.ts/);
    expect(upgrade.stdout).toMatch(/conflict\s+src\/config\/auth\.ts/);
    expect(upgrade.stdout).toMatch(/Conflict markers remain in src\/config\/auth\.ts/);

    expect(read(box, 'src/utils/response.ts')).toContain('// v2: response helpers');
    const routes = read(box, 'src/routes/auth.ts');
    expect(routes.startsWith('// my own note at the top\n')).toBe(true);
    expect(routes).toContain('// v2: routes');
    expect(routes).not.toMatch(/^<<<<<<< /m);

    const config = read(box, 'src/config/auth.ts');
    expect(config).toMatch(/^<<<<<<< yours \(src\/config\/auth\.ts\)\n.*\/\/ mine\n=======\n.*\/\/ v2\n>>>>>>> auth-jwt template [0-9a-f]{12}\n/m);
  });

  it('moves the manifest to version B and keeps the merge base at B for edited files', () => {
    const record = manifest(box).components['auth-jwt'];
    expect(record.templates).not.toBe(versionA);
    const base = fs.readFileSync(path.join(box.dir, '.backternity/base/auth-jwt/src/routes/auth.ts.base'), 'utf8');
    expect(base).toContain('// v2: routes');
    expect(base).not.toContain('// my own note');
  });

  it('a run with nothing new changes no byte (conflict markers still reported)', () => {
    const before = snapshotTree(box.dir);
    const again = run(box, ADD);
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(/skip\s+src\/config\/auth\.ts\s+still has conflict markers/);
    expect(snapshotTree(box.dir)).toEqual(before);

    // Once the user resolves the markers, a re-run is clean and says so.
    write(box, 'src/config/auth.ts', read(box, 'src/config/auth.ts').replace(/^<<<<<<< .*\n(.*\n)=======\n.*\n>>>>>>> .*\n/m, '$1'));
    const resolved = snapshotTree(box.dir);
    const clean = run(box, ADD);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/Nothing to change/);
    expect(snapshotTree(box.dir)).toEqual(resolved);
  });

  it('diff shows what differs from the current templates', () => {
    editTemplate(box, 'middleware/auth.ts', (text) => `${text}\n// v3: middleware\n`);
    const result = run(box, ['diff', 'auth-jwt']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/template changed\s+src\/middleware\/auth\.ts/);
    expect(result.stdout).toMatch(/edited by you\s+src\/routes\/auth\.ts/);
    expect(result.stdout).toMatch(/unchanged\s+src\/utils\/response\.ts/);
    expect(result.stdout).toContain('+// v3: middleware');
  });

  it('--diff prints unified diffs and writes nothing', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, [...ADD, '--diff']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- a/src/middleware/auth.ts');
    expect(result.stdout).toContain('+++ b/src/middleware/auth.ts');
    expect(result.stdout).toContain('+// v3: middleware');
    expect(result.stdout).toMatch(/Dry run: nothing was written/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('--json prints the whole plan as JSON on stdout', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, [...ADD, '--json', '--dry-run']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({ command: 'add', component: 'auth-jwt', dryRun: true, exitCode: 0, changed: true });
    const byPath = Object.fromEntries(plan.files.map((file: { path: string }) => [file.path, file]));
    expect(byPath['src/middleware/auth.ts'].action).toBe('update');
    expect(byPath['src/utils/response.ts'].action).toBe('identical');
    expect(byPath['backternity.json'].action).toBe('update');
    expect(result.stdout).not.toMatch(/JWT_SECRET=/);
    expect(result.stderr).toMatch(/backternity add auth-jwt/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('--skip-existing leaves every existing component file as it is', () => {
    const middleware = read(box, 'src/middleware/auth.ts');
    const result = run(box, [...ADD, '--skip-existing']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/skip\s+src\/middleware\/auth\.ts/);
    expect(read(box, 'src/middleware/auth.ts')).toBe(middleware);
  });

  it('a failure part-way restores every file, the manifest included', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, ADD, { BACKTERNITY_TEST_FAIL_AFTER_WRITES: '2' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/simulated failure/);
    expect(result.stderr).toMatch(/restored/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('--overwrite takes the templates after backing up the edited files', () => {
    const mine = read(box, 'src/routes/auth.ts');
    const result = run(box, [...ADD, '--overwrite']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/update\s+src\/middleware\/auth\.ts/);
    expect(read(box, 'src/routes/auth.ts')).not.toContain('// my own note');
    expect(read(box, 'src/routes/auth.ts')).toContain('// v2: routes');
    const backups = fs.readdirSync(path.join(box.dir, '.backternity/backup'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(box.dir, '.backternity/backup', backups[0] as string, 'src/routes/auth.ts'), 'utf8')).toBe(mine);
  });

  it('refuses a --db other than the installed store', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, [...ADD, '--db', 'mongodb']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/installed with --db pglite/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('remove takes out unmodified files and its patches, and keeps edited files, .env and .gitignore', () => {
    write(box, 'src/services/password.ts', `${read(box, 'src/services/password.ts')}// edited by me\n`);
    const result = run(box, ['remove', 'auth-jwt', '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/remove\s+src\/routes\/auth\.ts/);
    expect(result.stdout).toMatch(/skip\s+src\/services\/password\.ts\s+edited by you; kept/);
    expect(fs.existsSync(path.join(box.dir, 'src/routes/auth.ts'))).toBe(false);
    expect(fs.existsSync(path.join(box.dir, 'src/routes/notes.ts'))).toBe(true);
    expect(fs.existsSync(path.join(box.dir, 'src/utils'))).toBe(false);
    expect(read(box, 'src/services/password.ts')).toContain('// edited by me');
    expect(read(box, ENTRY)).toBe(originalEntry);
    expect(read(box, 'package.json')).toBe(originalPackage); // byte for byte
    expect(fs.existsSync(path.join(box.dir, 'backternity.json'))).toBe(false);
    expect(fs.existsSync(path.join(box.dir, '.backternity/base'))).toBe(false);
    expect(read(box, '.env')).toMatch(/^JWT_SECRET=/m);
    expect(fs.existsSync(path.join(box.dir, '.env.example'))).toBe(false);
  });
});

describe('conflict markers left from an earlier run', () => {
  let box: Box;
  beforeAll(() => {
    box = setup();
    expect(run(box, [...ADD, '--db', 'pglite']).code).toBe(0);
    write(box, 'src/config/auth.ts', replaceFirstLine(read(box, 'src/config/auth.ts'), "import { createSecretKey, type KeyObject } from 'node:crypto'; // mine"));
    editTemplate(box, 'config/auth.ts', (text) => replaceFirstLine(text, "import { createSecretKey, type KeyObject } from 'node:crypto'; // v2"));
    expect(run(box, ADD).code).toBe(3);
    // Version C changes the same file far from the markers the user has not resolved yet.
    editTemplate(box, 'config/auth.ts', (text) => `${text}\n// v3: config\n`);
  });
  afterAll(() => box?.cleanup());

  it('--skip-existing and --dry-run still exit 3 while they remain', () => {
    for (const flag of ['--skip-existing', '--dry-run']) {
      const result = run(box, [...ADD, flag]);
      expect(result.stdout).toMatch(/conflict markers from an earlier run/);
      expect(result.code, flag).toBe(3);
    }
  });

  it('a clean merge of new template changes keeps them, says so and exits 3', () => {
    const result = run(box, ADD);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/conflict\s+src\/config\/auth\.ts\s+merged the template changes; conflict markers from an earlier run remain/);
    const config = read(box, 'src/config/auth.ts');
    expect(config).toMatch(/^<<<<<<< yours/m);
    expect(config).toContain('// v3: config');
    const json = JSON.parse(run(box, [...ADD, '--json', '--dry-run']).stdout);
    expect(json).toMatchObject({ exitCode: 3, conflicts: ['src/config/auth.ts'] });
    expect(json.files.find((file: { path: string }) => file.path === 'src/config/auth.ts')).toMatchObject({ action: 'skip', status: 'skip' });
  });
});

describe('a checkout that changed the line endings (git core.autocrlf)', () => {
  let box: Box;
  const toCrlf = (file: string) => {
    const full = path.join(box.dir, file);
    fs.writeFileSync(full, fs.readFileSync(full, 'utf8').replace(/\r?\n/g, '\r\n'));
  };
  beforeAll(() => {
    box = setup();
    expect(run(box, [...ADD, '--db', 'pglite']).code).toBe(0);
    const files = Object.keys(manifest(box).components['auth-jwt'].files);
    for (const file of files) toCrlf(file);
    for (const file of files) toCrlf(`.backternity/base/auth-jwt/${file}.base`);
  });
  afterAll(() => box?.cleanup());

  it('is not an edit: a re-run changes nothing and diff sees no difference', () => {
    const before = snapshotTree(box.dir);
    const again = run(box, ADD);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to change/);
    expect(snapshotTree(box.dir)).toEqual(before);
    const diff = run(box, ['diff', 'auth-jwt']);
    expect(diff.stdout).not.toMatch(/edited by you/);
  });

  it('an upgrade updates untouched files and merges edited ones cleanly, in CRLF', () => {
    write(box, 'src/routes/auth.ts', `// my own note at the top\r\n${read(box, 'src/routes/auth.ts')}`);
    editTemplate(box, 'routes/auth.ts', (text) => `${text}\n// v2: routes\n`);
    editTemplate(box, 'utils/response.ts', (text) => `${text}\n// v2: response helpers\n`);
    const result = run(box, ADD);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/update\s+src\/utils\/response\.ts/);
    expect(result.stdout).toMatch(/merged\s+src\/routes\/auth\.ts/);
    for (const file of ['src/utils/response.ts', 'src/routes/auth.ts']) {
      const text = read(box, file);
      expect(text).toMatch(/\/\/ v2: /);
      expect(text, file).not.toMatch(/[^\r]\n/);
      expect(text).not.toMatch(/^<<<<<<< /m);
    }
    expect(read(box, 'src/routes/auth.ts').startsWith('// my own note at the top\r\n')).toBe(true);
  });
});

describe('a file a newer version of the templates no longer has', () => {
  it('is kept and listed, and its record goes once the file is deleted', () => {
    const box = setup();
    try {
      fs.writeFileSync(template(box, 'utils/legacy.ts'), 'export const legacy = true;\n');
      expect(run(box, [...ADD, '--db', 'pglite']).code).toBe(0);
      expect(manifest(box).components['auth-jwt'].files).toHaveProperty(['src/utils/legacy.ts']);
      fs.rmSync(template(box, 'utils/legacy.ts'));
      const upgrade = run(box, ADD);
      expect(upgrade.code).toBe(0);
      expect(upgrade.stdout).toMatch(/skip\s+src\/utils\/legacy\.ts\s+no longer part of the component/);
      expect(read(box, 'src/utils/legacy.ts')).toBe('export const legacy = true;\n');
      fs.rmSync(path.join(box.dir, 'src/utils/legacy.ts'));
      expect(run(box, ADD).code).toBe(0);
      expect(manifest(box).components['auth-jwt'].files).not.toHaveProperty(['src/utils/legacy.ts']);
    } finally {
      box.cleanup();
    }
  });
});

describe("the user's own files where component files go", () => {
  let box: Box;
  beforeAll(() => {
    box = setup();
    fs.mkdirSync(path.join(box.dir, 'src/routes'), { recursive: true });
    write(box, 'src/routes/auth.ts', 'export const mine = true;\n');
  });
  afterAll(() => box?.cleanup());

  it('stops before writing anything and names them with the ways out', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, [...ADD, '--db', 'pglite']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/src\/routes\/auth\.ts/);
    expect(result.stderr).toMatch(/--skip-existing/);
    expect(result.stderr).toMatch(/--overwrite/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('--overwrite with --skip-existing is a usage error (exit 2)', () => {
    const result = run(box, [...ADD, '--db', 'pglite', '--overwrite', '--skip-existing']);
    expect(result.code).toBe(2);
  });

  it('--skip-existing refuses to keep a file that lacks what the component imports from it (the app would not build)', () => {
    const before = snapshotTree(box.dir);
    const result = run(box, [...ADD, '--db', 'pglite', '--skip-existing']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/src\/routes\/auth\.ts: authErrorHandler, authRouter/);
    expect(result.stderr).toMatch(/Move or rename your file/);
    expect(snapshotTree(box.dir)).toEqual(before);
  });

  it('--skip-existing keeps them when they export what is imported, installs the rest; they stay unrecorded', () => {
    write(box, 'src/routes/auth.ts', "export { authRouter, authErrorHandler } from './authImpl.js';\nexport const mine = true;\n");
    const result = run(box, [...ADD, '--db', 'pglite', '--skip-existing']);
    expect(result.code).toBe(0);
    expect(read(box, 'src/routes/auth.ts')).toBe("export { authRouter, authErrorHandler } from './authImpl.js';\nexport const mine = true;\n");
    expect(manifest(box).components['auth-jwt'].files['src/routes/auth.ts']).toBeUndefined();
    expect(fs.existsSync(path.join(box.dir, 'src/services/authService.ts'))).toBe(true);
  });
});

describe('Ctrl-C during the install', () => {
  let box: Box;
  let bin: string;
  beforeAll(() => {
    box = setup();
    // A package manager that writes a lockfile, signals it started, hangs until stopped, and still writes the
    // lockfile once more while it exits: the rollback must wait for it and undo both.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-bin-'));
    fs.writeFileSync(
      path.join(bin, 'npm'),
      `#!/bin/sh\necho '{}' > package-lock.json\ntrap 'sleep 0.3; echo late > package-lock.json; exit 143' TERM\ntouch "${path.join(bin, 'started')}"\nsleep 60 &\nwait\n`,
      { mode: 0o755 },
    );
  });
  afterAll(() => {
    box?.cleanup();
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('restores every file, leaves no manifest and exits 130', async () => {
    const before = snapshotTree(box.dir);
    const child = spawn(process.execPath, [cliPath, 'add', 'auth-jwt', '--yes', '--db', 'pglite'], {
      cwd: box.dir,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', BACKTERNITY_TEMPLATES_DIR: box.templates, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!fs.existsSync(path.join(bin, 'started'))) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fs.existsSync(path.join(box.dir, 'backternity.json'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/Interrupted: every file this run had changed was restored/);
    expect(stderr).toMatch(/node_modules may hold part of the install: run `npm install`/);
    expect(snapshotTree(box.dir)).toEqual(before); // no package-lock.json, early or late
  });
});
