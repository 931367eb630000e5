// The app every HTTP benchmark talks to: the ESM TypeScript fixture with the auth kit scaffolded by the built CLI,
// plus bench/app/benchRoutes.ts mounted by its server entry, built with the app's own build script and booted with
// its own start script (one or more instances). PostgreSQL runs on a scratch database that is dropped afterwards.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { makeSandbox, repoRoot, runScript, startApp } from '../../scripts/sandbox.mjs';
import { benchCli } from './cli.mjs';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BENCH_ROUTES = path.join(repoRoot, 'bench', 'app', 'benchRoutes.ts');
const MOUNT_BEFORE = '// 404 for anything no route handled.';

/**
 * Rate limits and security-event lines are off: the benchmarks measure the work a request does, not the limiter
 * refusing it or the terminal printing. BCRYPT_COST 10 keeps sign-ups quick where passwords are not measured.
 */
export const BASE_ENV = { RATE_LIMIT_ENABLED: 'false', AUTH_LOG_EVENTS: 'false', NODE_ENV: 'production', BCRYPT_COST: '10' };

/**
 * Scaffolds and builds the benchmark app on one store.
 * @param {'pglite' | 'postgres'} db
 */
export async function prepareBenchApp(db) {
  const sandbox = makeSandbox('ts-esm-nodenext');
  const database = db === 'postgres' ? await createScratchDatabase() : undefined;
  const cleanup = async () => {
    sandbox.cleanup();
    await database?.drop();
  };
  try {
    scaffold(sandbox.dir, db);
    mountBenchRoutes(sandbox.dir);
    const build = runScript(sandbox.dir, 'build');
    if (build.code !== 0) throw new Error(`the benchmark app does not build:\n${build.output}`);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const storeEnv = database ? { DATABASE_URL: database.url } : {};
  return {
    db,
    dir: sandbox.dir,
    database,
    /** Everything an instance's environment gets besides what a caller adds. */
    env: { ...BASE_ENV, ...storeEnv },
    /** Boots one instance. @param {Record<string, string>} [env] */
    start: (env = {}) => startApp(sandbox.dir, { env: { ...BASE_ENV, ...storeEnv, ...env } }),
    cleanup,
  };
}

function scaffold(dir, db) {
  const result = spawnSync(process.execPath, [benchCli().cli, 'add', 'auth-jwt', '--yes', '--no-install', '--db', db], {
    cwd: dir,
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`backternity add failed:\n${result.stdout}${result.stderr}`);
}

/** Copies the benchmark routes in and mounts them where a user would add their own routes: before the 404. */
function mountBenchRoutes(dir) {
  fs.copyFileSync(BENCH_ROUTES, path.join(dir, 'src', 'benchRoutes.ts'));
  const entry = path.join(dir, 'src', 'server.ts');
  const source = fs.readFileSync(entry, 'utf8');
  if (!source.includes(MOUNT_BEFORE)) throw new Error(`the fixture's server entry changed: no "${MOUNT_BEFORE}" line`);
  const patched = `import { mountBenchRoutes } from './benchRoutes.js';\n${source.replace(MOUNT_BEFORE, `mountBenchRoutes(app);\n\n${MOUNT_BEFORE}`)}`;
  fs.writeFileSync(entry, patched);
}

/** A fresh database for one run, dropped (connections and all) when the benchmark ends. */
export async function createScratchDatabase() {
  const name = `backternity_bench_${process.pid}_${Date.now()}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    query: (sql) => adminQuery(sql),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function adminQuery(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** @param {string} url @param {unknown} body @param {Record<string, string>} [headers] */
export async function postJson(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Registers a user and returns its session (token, refresh, user). */
export async function register(baseUrl, email, password = 'correct horse battery staple') {
  const response = await postJson(`${baseUrl}/api/auth/register`, { email, password });
  if (response.status !== 201) throw new Error(`register → ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data;
}
