import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCli, runScript, startApp, TSC, typeCheck } from '../../scripts/sandbox.mjs';

/**
 * The app shapes people actually have, each scaffolded by the built CLI in CI mode, checked the way its own
 * toolchain would (tsc 5 and 7 for TypeScript, `node --check` for JavaScript), booted with its own start
 * script and driven through register → login → me → refresh → logout over HTTP. Fixtures run one after
 * the other and share this repo's node_modules, so the whole file needs no network and no install.
 */
interface MatrixCase {
  fixture: string;
  store: 'pglite' | 'postgres';
  /** Where the Express app lives inside the fixture (a workspace member), relative to its root. */
  appDir?: string;
  /** Folder name of the sandbox, to put spaces and dots in the path. */
  folderName?: string;
  express4?: boolean;
  /** Generated files, relative to the app's root, that must exist. */
  expectFiles: string[];
  /** TypeScript 7 removed esModuleInterop: false; such an app can only be checked with TypeScript 5. */
  ts7Rejects?: RegExp;
  /** A generated file and what it must look like in this app's style. */
  styleCheck?: { file: string; matches: RegExp[]; rejects: RegExp[] };
}

const TS_FILES = (dir: string) => ['routes/auth.ts', 'services/authService.ts', 'middleware/auth.ts', 'config/auth.ts'].map((file) => path.posix.join(dir, file));
const JS_FILES = (dir: string, ext: string) =>
  ['routes/auth', 'services/authService', 'middleware/auth', 'config/auth', 'models/index', 'utils/response'].map((file) => path.posix.join(dir, file + ext));

const MATRIX: MatrixCase[] = [
  { fixture: 'ts-esm-nodenext', store: 'pglite', expectFiles: TS_FILES('src') },
  { fixture: 'ts-cjs', store: 'pglite', expectFiles: TS_FILES('src') },
  { fixture: 'ts-cjs', store: 'postgres', expectFiles: TS_FILES('src') },
  {
    fixture: 'ts-cjs-no-interop',
    store: 'pglite',
    expectFiles: TS_FILES('src'),
    ts7Rejects: /TS5108.*esModuleInterop/,
    styleCheck: { file: 'src/routes/auth.ts', matches: [/^import express = require\('express'\);$/m], rejects: [/^import express from/m] },
  },
  {
    // The @tsconfig/strictest flags (exactOptionalPropertyTypes, noPropertyAccessFromIndexSignature, erasableSyntaxOnly…)
    // and `./x.ts` imports, which tsc rewrites on emit; the server is http.createServer(app) set up before the middleware.
    fixture: 'ts-strictest',
    store: 'pglite',
    expectFiles: TS_FILES('src'),
    styleCheck: { file: 'src/main.ts', matches: [/^import \{ authRouter, authErrorHandler \} from '\.\/routes\/auth\.ts';$/m], rejects: [/from '\.\/[^']*\.js'/] },
  },
  // The alias lives in tsconfig.base.json; files land in src/, and no folder named after the alias appears.
  { fixture: 'ts-paths', store: 'pglite', expectFiles: TS_FILES('src') },
  {
    fixture: 'ts-express4-crlf',
    store: 'pglite',
    express4: true,
    expectFiles: TS_FILES('.'),
    // CRLF and tabs from .editorconfig and the entry file.
    styleCheck: { file: 'routes/auth.ts', matches: [/\r\n\tres\.set\('Cache-Control', 'no-store'\);\r\n/], rejects: [/[^\r]\n/, /^ {2}\S/m] },
  },
  { fixture: 'js-express-generator', store: 'pglite', express4: true, expectFiles: JS_FILES('.', '.js') },
  { fixture: 'js-express-generator', store: 'postgres', express4: true, expectFiles: JS_FILES('.', '.js') },
  {
    fixture: 'js-esm',
    store: 'pglite',
    folderName: 'my bookmarks.app v1.2',
    expectFiles: JS_FILES('src', '.js'),
    // .prettierrc: double quotes, no semicolons, four spaces.
    styleCheck: { file: 'src/routes/auth.js', matches: [/^export const authRouter = express\.Router\(\)$/m, /^ {4}res\.set\("Cache-Control", "no-store"\)$/m], rejects: [/;$/m, /^ {2}\S/m] },
  },
  { fixture: 'workspace-npm', store: 'pglite', appDir: 'packages/api', expectFiles: JS_FILES('packages/api', '.js') },
];

const EXPRESS4 = { express: 'express4', '@types/express': '@types/express4' };
const POSTGRES_ADMIN_URL = process.env.MATRIX_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe.each(MATRIX)('$fixture × $store', (testCase) => {
  let sandbox: ReturnType<typeof makeSandbox>;
  let appDir: string;
  let scaffold: ReturnType<typeof runCli>;
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let skipReason: string | undefined;

  beforeAll(async () => {
    if (testCase.store === 'postgres') {
      try {
        database = await createDatabase();
      } catch (error) {
        skipReason = `PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable (${(error as Error).message})`;
        // In CI the postgres rows are required (.ci/run starts the server): a failure, never a silent skip.
        if (process.env.CI) throw new Error(`${skipReason}; CI needs it`);
        console.warn(`[matrix] skipping ${testCase.fixture} × postgres: ${skipReason}`);
        return;
      }
    }
    sandbox = makeSandbox(testCase.fixture, { folderName: testCase.folderName, packages: testCase.express4 ? EXPRESS4 : undefined });
    appDir = path.join(sandbox.dir, testCase.appDir ?? '.');
    // Run where a user would: the fixture's root (for a workspace, its root, not the member).
    scaffold = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', testCase.store], { cwd: sandbox.dir });
  });

  afterAll(async () => {
    sandbox?.cleanup();
    await database?.drop();
  });

  it('scaffolds in CI mode', (context) => {
    if (skipReason) return context.skip(skipReason);
    expect(scaffold.stderr).toBe('');
    expect(scaffold.code).toBe(0);
    for (const file of testCase.expectFiles) expect(fs.existsSync(path.join(sandbox.dir, file)), file).toBe(true);
    expect(fs.readdirSync(sandbox.dir).filter((name) => name.startsWith('@'))).toEqual([]);
    // A second run finds everything in place: the entry patch and the rendered files are stable.
    const again = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', testCase.store], { cwd: sandbox.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/^\s*(create|update)\s/m);
  });

  if (testCase.styleCheck) {
    const styleCheck = testCase.styleCheck;
    it("writes in the app's own style", (context) => {
      if (skipReason) return context.skip(skipReason);
      const text = fs.readFileSync(path.join(sandbox.dir, styleCheck.file), 'utf8');
      for (const pattern of styleCheck.matches) expect(text).toMatch(pattern);
      for (const pattern of styleCheck.rejects) expect(text).not.toMatch(pattern);
    });
  }

  it('passes its own toolchain: tsc 5 and 7, or node --check on every file', (context) => {
    if (skipReason) return context.skip(skipReason);
    if (fs.existsSync(path.join(appDir, 'tsconfig.json'))) {
      const ts5 = typeCheck(appDir, 'ts5');
      expect(ts5.output).toBe('');
      expect(ts5.code).toBe(0);
      const ts7 = typeCheck(appDir, 'ts7');
      if (testCase.ts7Rejects) {
        // The app's own tsconfig is what TypeScript 7 refuses, before it reads a single file.
        expect(ts7.output).toMatch(testCase.ts7Rejects);
      } else {
        expect(ts7.output).toBe('');
        expect(ts7.code).toBe(0);
      }
      return;
    }
    const files = listFiles(appDir).filter((file) => /\.[cm]?js$/.test(file));
    expect(files.length).toBeGreaterThan(testCase.expectFiles.length);
    for (const file of files) {
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      expect(`${check.stderr}`, file).toBe('');
      expect(check.status, file).toBe(0);
    }
  });

  it('boots with its own start script and serves register → login → me → refresh → logout', async (context) => {
    if (skipReason) return context.skip(skipReason);
    // `tsc` in the shared install is TypeScript 7; an app it refuses builds with its own TypeScript 5.
    const build = testCase.ts7Rejects ? buildWithTs5(appDir) : runScript(appDir, 'build');
    expect(build.output.replace(/^\s*$/gm, '')).not.toMatch(/error/i);
    expect(build.code).toBe(0);
    // Built, the app holds compiled copies of its entry: a re-run still patches the source, so it changes nothing.
    const afterBuild = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', testCase.store], { cwd: sandbox.dir });
    expect(afterBuild.stderr).toBe('');
    expect(afterBuild.code).toBe(0);
    expect(afterBuild.stdout).toMatch(/Nothing to change/);
    const env: Record<string, string> = { BCRYPT_COST: '10', REFRESH_REUSE_GRACE: '0' };
    if (database) env.DATABASE_URL = database.url;
    const app = await startApp(appDir, { env });
    try {
      await authFlow(request(app.url));
    } finally {
      await app.stop();
    }
  });
});

async function authFlow(api: ReturnType<typeof request>): Promise<void> {
  const credentials = { email: 'Grace@Example.com', password: 'a long and lovely passphrase' };
  const registered = await api.post('/api/auth/register').send(credentials);
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  expect(registered.body).toMatchObject({ success: true, data: { user: { email: 'grace@example.com' } } });

  const login = await api.post('/api/auth/login').send(credentials);
  expect(login.status).toBe(200);
  const { token, refresh } = login.body.data as { token: string; refresh: string };

  const me = await api.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
  expect(me.status).toBe(200);
  expect(me.body.data.user.email).toBe('grace@example.com');
  expect(JSON.stringify(me.body)).not.toMatch(/password/i);

  const rotated = await api.post('/api/auth/refresh').send({ refreshToken: refresh });
  expect(rotated.status).toBe(200);
  const next = rotated.body.data as { token: string; refresh: string };
  expect(next.refresh).not.toBe(refresh);

  const logout = await api.post('/api/auth/logout').set('Authorization', `Bearer ${next.token}`).send({ refreshToken: next.refresh });
  expect(logout.status).toBe(200);
  expect((await api.post('/api/auth/refresh').send({ refreshToken: next.refresh })).status).toBe(401);
  // The app's own routes are untouched.
  expect((await api.get('/health')).status).toBe(200);
}

/** A fresh database per run, dropped afterwards (FORCE ends the app's leftover connections). */
async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `backternity_matrix_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

function buildWithTs5(dir: string): { code: number; output: string } {
  const result = spawnSync(process.execPath, [TSC.ts5, '-p', dir], { cwd: dir, encoding: 'utf8' });
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.data') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else files.push(full);
  }
  return files;
}
