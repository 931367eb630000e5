import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, makeSandbox, runCli, snapshotTree } from '../../scripts/sandbox.mjs';

/**
 * Bad input: each case must give a clear message that says what to do next, a non-zero exit, and leave
 * every file exactly as it was.
 */
const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function sandbox(fixture = 'ts-esm-nodenext') {
  const box = makeSandbox(fixture);
  cleanups.push(box.cleanup);
  return box.dir;
}

function emptyDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-bad-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}


const ADD = ['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite'];

describe('bad input leaves the project untouched and says what to do', () => {
  it('no package.json', () => {
    const dir = emptyDir();
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/No package\.json found/);
    expect(result.stderr).toMatch(/--cwd/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('package.json without express', () => {
    const dir = emptyDir();
    fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "cli-tool", "dependencies": { "chalk": "^5.0.0" } }\n');
    const before = snapshotTree(dir);
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/express/);
    expect(result.stderr).toMatch(/npm install express/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('unknown component lists the known ones', () => {
    const dir = sandbox();
    const before = snapshotTree(dir);
    const result = runCli(['add', 'auth-magic', '--yes'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown component "auth-magic"/);
    expect(result.stderr).toMatch(/auth-jwt/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('unknown --db value names the valid ones', () => {
    const dir = sandbox();
    const before = snapshotTree(dir);
    const result = runCli(['add', 'auth-jwt', '--yes', '--db', 'oracle'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown --db value "oracle"/);
    expect(result.stderr).toMatch(/mongodb, postgres, pglite/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('no file calls express(): prints the lines to add by hand', () => {
    const dir = sandbox();
    fs.writeFileSync(path.join(dir, 'src', 'server.ts'), "import http from 'node:http';\n\nhttp.createServer().listen(3000);\n");
    const before = snapshotTree(dir);
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Could not find the server entry/);
    expect(result.stderr).toContain("import { authRouter, authErrorHandler } from './routes/auth.js';");
    expect(result.stderr).toContain("app.use('/api/auth', authRouter, authErrorHandler);");
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('no dead end: the printed lines, added by hand to a file the app loads, make the next run succeed', () => {
    const dir = sandbox();
    // The app is created where the search cannot see it: a class field in a file with an unusual name.
    fs.rmSync(path.join(dir, 'src', 'server.ts'));
    fs.mkdirSync(path.join(dir, 'src', 'core'));
    const core = path.join(dir, 'src', 'core', 'http.ts');
    fs.writeFileSync(core, "import express from 'express';\n\nexport class HttpServer {\n  readonly app = express();\n}\n");
    fs.writeFileSync(path.join(dir, 'src', 'server.ts'), "import { HttpServer } from './core/http.js';\n\nnew HttpServer().app.listen(3000);\n");
    // Found through the entry's import; the class field is reported with the lines for it.
    const first = runCli(ADD, { cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/Could not patch src\/core\/http\.ts/);
    expect(first.stderr).toContain("this.app.use('/api/auth', authRouter, authErrorHandler);");
    // The user adds the lines; the next run accepts the file as it is and creates what it imports.
    fs.writeFileSync(
      core,
      "import express from 'express';\nimport { authRouter, authErrorHandler } from '../routes/auth.js';\n\nexport class HttpServer {\n  readonly app = express();\n  constructor() {\n    this.app.use('/api/auth', authRouter, authErrorHandler);\n  }\n}\n",
    );
    const edited = fs.readFileSync(core);
    const again = runCli(ADD, { cwd: dir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(fs.readFileSync(core)).toEqual(edited);
    expect(fs.existsSync(path.join(dir, 'src', 'routes', 'auth.ts'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'backternity.json'), 'utf8')).components['auth-jwt'].entry.file).toBe('src/core/http.ts');
  });

  it('--entry names an entry the search cannot find (started by a config file, not a script)', () => {
    const dir = sandbox();
    fs.mkdirSync(path.join(dir, 'server'));
    fs.renameSync(path.join(dir, 'src', 'server.ts'), path.join(dir, 'server', 'boot.ts'));
    const lost = runCli(ADD, { cwd: dir });
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/backternity add auth-jwt --entry <file>/);
    const named = runCli([...ADD, '--entry', 'server/boot.ts'], { cwd: dir });
    expect(named.stderr).toBe('');
    expect(named.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'server', 'boot.ts'), 'utf8')).toContain("app.use('/api/auth', authRouter, authErrorHandler);");
    // Recorded: the next run finds it without the flag.
    expect(runCli(ADD, { cwd: dir }).stdout).toMatch(/Nothing to change/);
  });

  it('--entry with a file that does not exist is a usage error', () => {
    const dir = sandbox();
    const before = snapshotTree(dir);
    const result = runCli([...ADD, '--entry', 'src/nope.ts'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--entry src\/nope\.ts: no such file/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a server entry with a syntax error is reported with its position', () => {
    const dir = sandbox();
    const entry = path.join(dir, 'src', 'server.ts');
    fs.writeFileSync(entry, `${fs.readFileSync(entry, 'utf8')}\napp.get('/broken', (req, res) => {\n`);
    const before = snapshotTree(dir);
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/server\.ts/);
    expect(result.stderr).not.toMatch(/authRouter/); // fix the syntax first; no lines to add by hand
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('an install that would add a second lockfile is refused before anything is written', () => {
    const dir = sandbox();
    const file = path.join(dir, 'package.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), packageManager: 'yarn@4.5.0' }, null, 2));
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    const before = snapshotTree(dir);
    const result = runCli(['add', 'auth-jwt', '--yes', '--db', 'pglite'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/yarn would install next to package-lock\.json, leaving the app with two lockfiles/);
    expect(result.stderr).toMatch(/--no-install/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a file standing where a folder must go stops the run before anything is written', () => {
    const dir = sandbox();
    fs.writeFileSync(path.join(dir, 'src', 'middleware'), 'not a folder');
    const before = snapshotTree(dir);
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot write .*middleware/);
    expect(result.stderr).toMatch(/Nothing was changed/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('an unwritable project is refused before anything is written', () => {
    const dir = sandbox();
    const isRoot = process.getuid?.() === 0;
    // Root ignores permission bits, so the CLI runs as an unprivileged user against a read-only tree.
    fs.chmodSync(path.dirname(dir), 0o755);
    for (const folder of [dir, path.join(dir, 'src'), path.join(dir, 'src', 'routes')]) fs.chmodSync(folder, 0o555);
    cleanups.push(() => {
      for (const folder of [dir, path.join(dir, 'src'), path.join(dir, 'src', 'routes')]) fs.chmodSync(folder, 0o755);
    });
    const before = snapshotTree(dir);
    const command = isRoot ? 'setpriv' : process.execPath;
    const args = isRoot
      ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, ...ADD]
      : [cliPath, ...ADD];
    const result = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Cannot write/);
    expect(result.stderr).toMatch(/permissions/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it.each([
    ['.env', (dir: string) => path.join(dir, '.env')],
    ['the server entry', (dir: string) => path.join(dir, 'src', 'server.ts')],
  ])('%s in Latin-1 is refused before anything is written (editing it would replace its bytes)', (_name, fileOf) => {
    const dir = sandbox();
    const file = fileOf(dir);
    const existing = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from('PORT=3000\n');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('// caf', 'latin1'), Buffer.from([0xe9]), Buffer.from('\n'), existing]));
    const before = snapshotTree(dir);
    const result = runCli(ADD, { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not UTF-8 text \(byte 0xE9 on line 1\)/);
    expect(result.stderr).toMatch(/Convert it to UTF-8/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a package.json that starts with a byte order mark is read, and keeps it', () => {
    const dir = sandbox();
    const file = path.join(dir, 'package.json');
    fs.writeFileSync(file, `\uFEFF${fs.readFileSync(file, 'utf8')}`);
    const result = runCli(ADD, { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const after = fs.readFileSync(file, 'utf8');
    expect(after.startsWith('\uFEFF{')).toBe(true);
    expect(JSON.parse(after.slice(1)).dependencies).toHaveProperty('jsonwebtoken');
  });

  it('--dry-run prints the plan and writes nothing', () => {
    const dir = sandbox();
    const before = snapshotTree(dir);
    const result = runCli([...ADD, '--dry-run'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/create\s+src\/routes\/auth\.ts/);
    expect(result.stdout).toMatch(/update\s+src\/server\.ts/);
    expect(result.stdout).toMatch(/Dry run: nothing was written/);
    expect(snapshotTree(dir)).toEqual(before);
  });

  it('a failed install restores every file the run had changed, the lockfile included', () => {
    const dir = sandbox();
    // An empty PATH apart from node: the package manager cannot be found, so the install step fails.
    const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-bin-'));
    cleanups.push(() => fs.rmSync(binDir, { recursive: true, force: true }));
    // It gets as far as rewriting the lockfile the app already has, then fails.
    fs.writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    const before = snapshotTree(dir);
    fs.writeFileSync(path.join(binDir, 'npm'), '#!/bin/sh\necho \'{"half": "written"}\' > package-lock.json\necho "npm ERR! network unreachable" >&2\nexit 1\n', { mode: 0o755 });
    const result = runCli(['add', 'auth-jwt', '--yes', '--db', 'pglite'], {
      cwd: dir,
      env: { PATH: `${binDir}${path.delimiter}${process.env.PATH}` },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/npm install .*failed/);
    expect(result.stderr).toMatch(/restored/);
    expect(result.stderr).toMatch(/--no-install/);
    expect(snapshotTree(dir)).toEqual(before);
  });
});

describe('help and listing', () => {
  it('--help, --version, add --help and list answer without touching anything', () => {
    const dir = emptyDir();
    const help = runCli(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/add \[options\] <component>/);
    expect(help.stdout).toMatch(/list/);
    const version = runCli(['--version'], { cwd: dir });
    expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    const addHelp = runCli(['add', '--help'], { cwd: dir });
    for (const flag of ['--cwd', '--db', '--yes', '--dry-run', '--no-install']) expect(addHelp.stdout).toContain(flag);
    const list = runCli(['list'], { cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/auth-jwt\s+JWT authentication/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
