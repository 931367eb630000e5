import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, runCli, runScript, startApp, startExpectingExit, startTcpProxy, typeCheck } from '../../scripts/sandbox.mjs';
import { adminDatabaseUrl, createScratchDatabase, probePostgres, type ScratchDatabase } from '../contract/postgres.js';

/**
 * Each --db choice scaffolded by the built CLI into a real app: postgres is type-checked, built, booted against
 * the real server (its own database per run) and driven over HTTP, including the database failing under it;
 * mongodb is scaffolded and type-checked (no server here); store detection from the app's dependencies.
 * The pglite flow runs in addAuthJwt.test.ts.
 */
const ADD = ['add', 'auth-jwt', '--yes', '--no-install'];
const credentials = { email: 'Grace@Example.com', password: 'correct horse battery staple' };

const postgres = await probePostgres();
if (!postgres.reachable && !process.env.CI) {
  console.warn(`[e2e] SKIPPED the --db postgres server tests: ${adminDatabaseUrl()} is not reachable (${postgres.reason}).`);
}

describe('backternity add auth-jwt --db postgres', () => {
  let sandbox: ReturnType<typeof makeSandbox>;
  let scaffold: ReturnType<typeof runCli>;

  beforeAll(() => {
    sandbox = makeSandbox('ts-esm-nodenext');
    // Empty: a DATABASE_URL of the shell running the tests must not stand in for the default.
    scaffold = runCli([...ADD, '--db', 'postgres'], { cwd: sandbox.dir, env: { DATABASE_URL: '' } });
  });
  afterAll(() => sandbox?.cleanup());

  it('writes the shared SQL store with the pg driver, pg in package.json and DATABASE_URL in .env', () => {
    expect(scaffold.stderr).toBe('');
    expect(scaffold.code).toBe(0);
    const models = path.join(sandbox.dir, 'src', 'models');
    expect(fs.readdirSync(models).sort()).toEqual(['index.ts', 'schema.ts', 'tokenBlacklist.ts', 'user.ts']);
    expect(fs.readFileSync(path.join(models, 'index.ts'), 'utf8')).toMatch(/from 'pg'/);
    const pkg = JSON.parse(fs.readFileSync(path.join(sandbox.dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toHaveProperty('pg');
    expect(pkg.devDependencies).toHaveProperty('@types/pg');
    expect(pkg.dependencies).not.toHaveProperty('@electric-sql/pglite');
    expect(fs.readFileSync(path.join(sandbox.dir, '.env'), 'utf8')).toMatch(/^DATABASE_URL=postgres:\/\/.+\/notes_api$/m);
  });

  it('takes DATABASE_URL from the environment when it is set there (a CI job), never into .env.example', () => {
    const other = makeSandbox('ts-esm-nodenext');
    try {
      const url = 'postgres://ci:ci@db.internal:5432/smoke';
      expect(runCli([...ADD, '--db', 'postgres'], { cwd: other.dir, env: { DATABASE_URL: url } }).code).toBe(0);
      expect(fs.readFileSync(path.join(other.dir, '.env'), 'utf8')).toContain(`DATABASE_URL=${url}\n`);
      expect(fs.readFileSync(path.join(other.dir, '.env.example'), 'utf8')).toMatch(/^DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:5432\/notes_api$/m);
    } finally {
      other.cleanup();
    }
  });

  it.each(['ts5', 'ts7'] as const)('type-checks under strict with %s', (compiler) => {
    const result = typeCheck(sandbox.dir, compiler);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('builds', () => {
    const build = runScript(sandbox.dir, 'build');
    expect(build.output).toBe('');
    expect(build.code).toBe(0);
  });

  it('fails fast at start-up, naming DATABASE_URL, when PostgreSQL cannot be reached', async () => {
    const closedPort = await freePort();
    const result = await startExpectingExit(sandbox.dir, {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort}/nothing_here`,
    });
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull(); // null: it hung and was killed
    expect(result.stderr).toMatch(/DATABASE_URL/);
    expect(result.stdout).not.toMatch(/listening/);
  });

  describe.skipIf(!postgres.reachable && !process.env.CI)('against the PostgreSQL server', () => {
    let database: ScratchDatabase;
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    let app: Awaited<ReturnType<typeof startApp>>;

    beforeAll(async () => {
      if (!postgres.reachable) throw new Error(`PostgreSQL is required when CI is set: ${adminDatabaseUrl()} (${postgres.reason})`);
      database = await createScratchDatabase('e2e');
      // The app reaches the database through a proxy the test can cut, like a failing network would.
      const server = new URL(database.url);
      proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
      const viaProxy = new URL(database.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      // Built by the 'builds' test above. Grace 0: a rotated token fails at once (by default it still works for 10 s).
      // Rate limits off: the registration race sends 20 sign-ups from one IP (the limits have their own suite).
      app = await startApp(sandbox.dir, {
        env: { DATABASE_URL: viaProxy.toString(), BCRYPT_COST: '10', REFRESH_REUSE_GRACE: '0', RATE_LIMIT_ENABLED: 'false' },
      });
    });
    afterAll(async () => {
      await app?.stop();
      await proxy?.close();
      await database?.drop();
    });

    it('creates its tables at start-up', async () => {
      const { rows } = await queryScratch(
        database,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        [],
      );
      expect(rows.map((row) => row.table_name)).toEqual(['auth_access_token_denylist', 'auth_refresh_tokens', 'auth_users']);
      expect((await request(app.url).post('/api/auth/login').send(credentials)).status).toBe(401);
    });

    it('serves register → login → me → refresh → old refresh fails → logout → refresh fails', async () => {
      const api = request(app.url);
      const registered = await api.post('/api/auth/register').send(credentials);
      expect(registered.status).toBe(201);
      expect(registered.body.data.user.email).toBe('grace@example.com');

      const duplicate = await api.post('/api/auth/register').send({ ...credentials, email: 'GRACE@example.COM' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ success: false, code: 'email_taken' });

      const login = await api.post('/api/auth/login').send(credentials);
      expect(login.status).toBe(200);
      const { token, refresh } = login.body.data;

      const me = await api.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
      expect(me.status).toBe(200);
      expect(me.body.data.user).toMatchObject({ email: 'grace@example.com', role: 'user' });

      const rotated = await api.post('/api/auth/refresh').send({ refreshToken: refresh });
      expect(rotated.status).toBe(200);
      expect(rotated.body.data.refresh).not.toBe(refresh);

      expect((await api.post('/api/auth/refresh').send({ refreshToken: refresh })).status).toBe(401);

      const session = (await api.post('/api/auth/login').send(credentials)).body.data;
      const logout = await api.post('/api/auth/logout').set('Authorization', `Bearer ${session.token}`).send({ refreshToken: session.refresh });
      expect(logout.status).toBe(200);
      expect((await api.post('/api/auth/refresh').send({ refreshToken: session.refresh })).status).toBe(401);
      expect((await api.get('/api/auth/me').set('Authorization', `Bearer ${session.token}`)).status).toBe(401);
    });

    it('answers 20 simultaneous registrations of one email with one 201 and nineteen 409s', async () => {
      const api = request(app.url);
      const body = { email: 'race@example.com', password: credentials.password };
      const responses = await Promise.all(Array.from({ length: 20 }, () => api.post('/api/auth/register').send(body)));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
      const { rows } = await queryScratch(database, 'SELECT count(*)::int AS n FROM auth_users WHERE email = $1', ['race@example.com']);
      expect(rows[0].n).toBe(1);
    });

    it('answers a JSON 503 while the database refuses connections, stays up, and recovers', async () => {
      const api = request(app.url);
      const session = (await api.post('/api/auth/login').send(credentials)).body.data;
      await database.admin(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
      await database.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
      try {
        const login = await postJson(app.url, '/api/auth/login', credentials);
        expect(login.status).toBe(503);
        expect(login.body).toMatchObject({ success: false, code: 'service_unavailable' });
        const me = await api.get('/api/auth/me').set('Authorization', `Bearer ${session.token}`).timeout(ANSWER_WITHIN_MS);
        expect(me.status).toBe(503);
        expect(me.body).toMatchObject({ success: false, code: 'service_unavailable' });
        expect(JSON.stringify([login.body, me.body])).not.toMatch(/ALLOW_CONNECTIONS|not currently accepting|FATAL/i);
        expect((await api.get('/health')).status).toBe(200);
      } finally {
        await database.admin(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
      }
      expect((await postJson(app.url, '/api/auth/login', credentials)).status).toBe(200);
    });

    it('answers a JSON 503 when the network to the database stops answering, instead of hanging', async () => {
      proxy.blackhole();
      try {
        // Without the pool's connect and query timeouts this request would hang until the abort below.
        const login = await postJson(app.url, '/api/auth/login', credentials);
        expect(login.status).toBe(503);
        expect(login.body).toMatchObject({ success: false, code: 'service_unavailable' });
        expect((await request(app.url).get('/health')).status).toBe(200);
      } finally {
        proxy.forward();
      }
      expect((await postJson(app.url, '/api/auth/login', credentials)).status).toBe(200);
    });

    it('kept running through all of it', async () => {
      let exited = false;
      void app.exited.then(() => (exited = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(exited).toBe(false);
      expect(app.output()).toMatch(/\[auth\] store error/);
    });
  });
});

describe('backternity add auth-jwt --db mongodb on a CommonJS app', () => {
  let sandbox: ReturnType<typeof makeSandbox>;
  let scaffold: ReturnType<typeof runCli>;

  beforeAll(() => {
    sandbox = makeSandbox('ts-cjs');
    scaffold = runCli([...ADD, '--db', 'mongodb'], { cwd: sandbox.dir, env: { MONGODB_URI: '' } });
  });
  afterAll(() => sandbox?.cleanup());

  it('writes the mongoose store, mongoose in package.json and MONGODB_URI in .env', () => {
    expect(scaffold.stderr).toBe('');
    expect(scaffold.code).toBe(0);
    const models = path.join(sandbox.dir, 'src', 'models');
    expect(fs.readdirSync(models).sort()).toEqual(['index.ts', 'sanitizeFilter.ts', 'tokenBlacklist.ts', 'user.ts']);
    const pkg = JSON.parse(fs.readFileSync(path.join(sandbox.dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toHaveProperty('mongoose');
    expect(pkg.dependencies).not.toHaveProperty('pg');
    expect(fs.readFileSync(path.join(sandbox.dir, '.env'), 'utf8')).toMatch(/^MONGODB_URI=mongodb:\/\/.+\/shop_api$/m);
  });

  it.each(['ts5', 'ts7'] as const)('type-checks under strict with %s', (compiler) => {
    const result = typeCheck(sandbox.dir, compiler);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('store choice without --db', () => {
  let sandbox: ReturnType<typeof makeSandbox>;
  beforeAll(() => {
    sandbox = makeSandbox('ts-esm-nodenext');
  });
  afterAll(() => sandbox?.cleanup());

  /** Gives the app these dependencies (besides express) and runs a dry run, which writes nothing. */
  function dryRunWith(dependencies: Record<string, string>, extraArgs: string[] = []) {
    const file = path.join(sandbox.dir, 'package.json');
    const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
    pkg.dependencies = { express: '^5.1.0', ...dependencies };
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
    return runCli(['add', 'auth-jwt', '--no-install', '--dry-run', ...extraArgs], { cwd: sandbox.dir });
  }

  it.each([
    [{ knex: '^3.1.0' }, 'postgres', 'knex'],
    [{ '@prisma/client': '^6.0.0' }, 'postgres', '@prisma/client'],
    [{ mongoose: '^8.0.0' }, 'mongodb', 'mongoose'],
    [{ '@electric-sql/pglite': '^0.3.0' }, 'pglite', '@electric-sql/pglite'],
  ])('detects the store from %o', (dependencies, store, dependency) => {
    const result = dryRunWith(dependencies);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`store: ${store}, detected from ${dependency}`);
  });

  it('stops with an error naming --db when the dependencies point two ways', () => {
    const result = dryRunWith({ mongoose: '^8.0.0', pg: '^8.11.0' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/mongoose → mongodb/);
    expect(result.stderr).toMatch(/pg → postgres/);
    expect(result.stderr).toMatch(/--db/);
    expect(fs.existsSync(path.join(sandbox.dir, 'src', 'routes', 'auth.ts'))).toBe(false);
  });

  it('lets --db win over the dependencies', () => {
    const result = dryRunWith({ mongoose: '^8.0.0', pg: '^8.11.0' }, ['--db', 'pglite']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('store: pglite, --db');
  });

  it('uses mongodb with --yes when nothing points anywhere', () => {
    const result = dryRunWith({}, ['--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('store: mongodb, default');
  });
});

/**
 * Issue 3: a database that is down gives a JSON 503 "within a few seconds". The pool gives up connecting
 * after 5 s and a query after 7 s; a server that has not answered by this bound is hanging, and fails.
 */
const ANSWER_WITHIN_MS = 12_000;

/** A JSON POST that gives up after ANSWER_WITHIN_MS, so a hanging server fails the test instead of stalling it. */
async function postJson(baseUrl: string, route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(baseUrl + route, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function queryScratch(database: ScratchDatabase, sql: string, params: unknown[]) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
