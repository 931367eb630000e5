import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeSandbox, runCli, runScript, snapshotTree, startApp, startExpectingExit, startTcpProxy, typeCheck } from '../../scripts/sandbox.mjs';
import { adminDatabaseUrl, createScratchDatabase, probePostgres, type ScratchDatabase } from '../contract/postgres.js';
import { send, type HttpResponse } from '../security/harness.js';

/**
 * `--redis`: two instances of one scaffolded app (--db postgres --redis) on different ports share PostgreSQL
 * and Redis and behave as one: shared rate limits, revocation that holds on the other instance at once, one
 * winner among concurrent refreshes across both, and a Redis cut mid-run (through a TCP proxy) that degrades
 * as docs/SECURITY.md says without crashing or letting a revoked token through. Plus scaffolding: detection,
 * env/dependencies, TS 5/7 type-checks and the JavaScript output.
 */
const ADD = ['add', 'auth-jwt', '--yes', '--no-install'];
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'correct horse battery staple';

const postgres = await probePostgres();
const redisProbe = await probeRedis();
const servers = postgres.reachable && redisProbe.reachable;
if (!servers && !process.env.CI) {
  const reasons = [postgres.reachable ? '' : `PostgreSQL ${adminDatabaseUrl()}: ${postgres.reason}`, redisProbe.reachable ? '' : `Redis ${REDIS_URL}: ${redisProbe.reason}`];
  console.warn(`[e2e] SKIPPED the two-instance scale-out tests: ${reasons.filter(Boolean).join('; ')}`);
}

describe('backternity add auth-jwt --redis', () => {
  let sandbox: ReturnType<typeof makeSandbox>;
  let scaffold: ReturnType<typeof runCli>;

  beforeAll(() => {
    sandbox = makeSandbox('ts-esm-nodenext');
    scaffold = runCli([...ADD, '--db', 'postgres', '--redis'], { cwd: sandbox.dir });
  });
  afterAll(() => sandbox?.cleanup());

  it('adds REDIS_URL, ioredis and the Redis state modules, says why and records the choice', () => {
    expect(scaffold.stderr).toBe('');
    expect(scaffold.code).toBe(0);
    expect(scaffold.stdout).toMatch(/redis: --redis/);
    for (const file of ['.env', '.env.example']) {
      expect(fs.readFileSync(path.join(sandbox.dir, file), 'utf8')).toMatch(/^REDIS_URL=redis:\/\/127\.0\.0\.1:6379$/m);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(sandbox.dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toHaveProperty('ioredis');
    const services = fs.readdirSync(path.join(sandbox.dir, 'src', 'services'));
    expect(services).toEqual(expect.arrayContaining(['redis.ts', 'redisAccessCache.ts', 'redisRateLimitStore.ts', 'sharedState.ts']));
    expect(fs.readFileSync(path.join(sandbox.dir, 'src', 'services', 'sharedState.ts'), 'utf8')).toMatch(/RedisRateLimitStore/);
    const manifest = JSON.parse(fs.readFileSync(path.join(sandbox.dir, 'backternity.json'), 'utf8'));
    expect(manifest.components['auth-jwt'].options).toEqual({ store: 'postgres', redis: true });
  });

  it('is kept by a later run without the flag', () => {
    const again = runCli([...ADD], { cwd: sandbox.dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/redis: from backternity\.json/);
    expect(fs.readFileSync(path.join(sandbox.dir, 'src', 'services', 'sharedState.ts'), 'utf8')).toMatch(/RedisRateLimitStore/);
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

  describe.skipIf(!servers && !process.env.CI)('two instances sharing PostgreSQL and Redis', () => {
    const prefix = `backternity-test-${randomBytes(4).toString('hex')}:`;
    let database: ScratchDatabase;
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    let a: Awaited<ReturnType<typeof startApp>>;
    let b: Awaited<ReturnType<typeof startApp>>;

    beforeAll(async () => {
      if (!servers) throw new Error(`PostgreSQL and Redis are required when CI is set (${postgres.reachable ? '' : postgres.reason} ${redisProbe.reachable ? '' : redisProbe.reason})`);
      database = await createScratchDatabase('scaleout');
      const redisServer = new URL(REDIS_URL);
      // Both instances reach Redis through a proxy the test can cut, like a failing network would.
      proxy = await startTcpProxy({ host: redisServer.hostname, port: Number(redisServer.port || 6379) });
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        REDIS_KEY_PREFIX: prefix,
        BCRYPT_COST: '10',
        REFRESH_REUSE_GRACE: '0',
        RATE_LIMIT_LOGIN_ACCOUNT: '4',
        RATE_LIMIT_LOGIN_IP: '6',
        RATE_LIMIT_REGISTER_IP: '1000',
        RATE_LIMIT_REFRESH_IP: '1000',
        AUTH_LOG_EVENTS: 'false',
      };
      [a, b] = await Promise.all([startApp(sandbox.dir, { env }), startApp(sandbox.dir, { env })]);
    });
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await proxy?.close();
      await database?.drop();
      await deleteKeys(prefix);
    });

    it('fails fast at start-up, naming REDIS_URL, when Redis cannot be reached', async () => {
      const result = await startExpectingExit(sandbox.dir, { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull(); // null: it hung and was killed
      expect(result.stderr).toMatch(/Could not connect to Redis at REDIS_URL/);
      expect(result.stdout).not.toMatch(/listening/);
    });

    it('shares the failed-login limit per account: alternating instances hits 429 at the shared limit', async () => {
      const body = { email: 'limited@example.com', password: 'not the right password at all' };
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        // Another source address each time, so only the per-account limit (4) can apply.
        const response = await send(attempt % 2 ? b.url : a.url, 'POST', '/api/auth/login', { json: body, from: `127.0.1.${attempt + 1}` });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    });

    it('shares the failed-login limit per IP across instances', async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        const body = { email: `ip-${attempt}@example.com`, password: 'not the right password at all' };
        statuses.push((await send(attempt % 2 ? b.url : a.url, 'POST', '/api/auth/login', { json: body, from: '127.0.2.1' })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429]);
    });

    it('ends the access tokens on the other instance at once after logout-all', async () => {
      const email = await register(a.url, 'logout-all');
      const onB = await login(b.url, email);
      expect((await me(b.url, onB.token)).status).toBe(200); // now cached in Redis
      const onA = await login(a.url, email);
      expect((await send(a.url, 'POST', '/api/auth/logout-all', { token: onA.token })).status).toBe(200);
      expect((await me(b.url, onB.token)).status).toBe(401);
      expect((await me(a.url, onB.token)).status).toBe(401);
      expect((await me(b.url, onA.token)).status).toBe(401);
      expect((await me(b.url, (await login(b.url, email)).token)).status).toBe(200);
    });

    it('ends the access token on the other instance at once after logout and after a password change', async () => {
      const email = await register(a.url, 'logout');
      const session = await login(a.url, email);
      expect((await me(b.url, session.token)).status).toBe(200);
      expect((await send(a.url, 'POST', '/api/auth/logout', { token: session.token, json: { refreshToken: session.refresh } })).status).toBe(200);
      expect((await me(b.url, session.token)).status).toBe(401);

      const other = await login(b.url, email);
      expect((await me(a.url, other.token)).status).toBe(200);
      const change = await send(b.url, 'POST', '/api/auth/change-password', {
        token: (await login(b.url, email)).token,
        json: { currentPassword: PASSWORD, newPassword: 'an entirely new passphrase' },
      });
      expect(change.status).toBe(200);
      expect((await me(a.url, other.token)).status).toBe(401);
      expect((await me(a.url, change.body.data.token)).status).toBe(200);
    });

    it('refuses on one instance a refresh token rotated on the other', async () => {
      const session = await login(a.url, await register(a.url, 'rotate'));
      const rotated = await send(a.url, 'POST', '/api/auth/refresh', { json: { refreshToken: session.refresh } });
      expect(rotated.status).toBe(200);
      const replayed = await send(b.url, 'POST', '/api/auth/refresh', { json: { refreshToken: session.refresh } });
      expect(replayed.status).toBe(401);
      expect(replayed.body).toMatchObject({ success: false, code: 'invalid_token' });
    });

    it('gives exactly one success to 20 concurrent refreshes of one token split across both instances', async () => {
      const session = await login(b.url, await register(b.url, 'race'));
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, index) => send(index % 2 ? b.url : a.url, 'POST', '/api/auth/refresh', { json: { refreshToken: session.refresh } })),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(19);
    });

    it('keeps serving from the database while Redis is cut, lets no revoked token through, refuses revocations with 503, and recovers', async () => {
      const email = await register(a.url, 'outage');
      const live = await login(a.url, email);
      const loggedOut = await login(a.url, email);
      expect((await send(b.url, 'POST', '/api/auth/logout', { token: loggedOut.token, json: { refreshToken: loggedOut.refresh } })).status).toBe(200);
      expect((await me(a.url, live.token)).status).toBe(200);

      proxy.blackhole();
      try {
        for (const url of [a.url, b.url]) {
          // Protected requests fall back to the database, the source of truth.
          expect((await me(url, live.token)).status).toBe(200);
          expect((await me(url, loggedOut.token)).status).toBe(401);
          // Rate limits fall back to this process: a failed login is still a 401, not a 503.
          expect((await send(url, 'POST', '/api/auth/login', { json: { email, password: 'wrong password, sorry' }, from: '127.0.3.1' })).status).toBe(401);
          expect((await send(url, 'POST', '/api/auth/login', { json: { email, password: PASSWORD }, from: '127.0.3.2' })).status).toBe(200);
          // A revocation that could not reach the other instances is refused, and nothing changes.
          const refused = await send(url, 'POST', '/api/auth/logout-all', { token: live.token });
          expect(refused.status).toBe(503);
          expect(refused.body).toEqual({ success: false, message: expect.any(String), code: 'service_unavailable' });
          expect((await send(url, 'GET', '/health')).status).toBe(200);
        }
        expect((await me(b.url, live.token)).status).toBe(200);
      } finally {
        proxy.forward();
      }

      // Reconnects by itself: the revocation refused above now goes through and holds on the other instance.
      const done = await eventually(() => send(a.url, 'POST', '/api/auth/logout-all', { token: live.token }), (response) => response.status === 200);
      expect(done.status).toBe(200);
      expect((await me(b.url, live.token)).status).toBe(401);
      expect((await me(a.url, loggedOut.token)).status).toBe(401);
      expect(a.output()).toMatch(/Redis is unreachable/);
      expect(a.output()).toMatch(/Redis is reachable again/);
    });

    it('kept both instances running, with no unhandled errors', async () => {
      let exited = false;
      void Promise.race([a.exited, b.exited]).then(() => (exited = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(exited).toBe(false);
      for (const app of [a, b]) expect(app.output()).not.toMatch(/Unhandled|ERR_UNHANDLED|uncaught/i);
    });

    it('kept its keys under its own prefix', async () => {
      const keys = await listKeys(prefix);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((key) => key.startsWith(`${prefix}rl:login-account:`))).toBe(true);
      expect(keys.some((key) => key.startsWith(`${prefix}jti:`))).toBe(true);
    });
  });
});

/** The NodeNext fixture with `ioredis ^5.4.0` declared, as an app that already runs Redis has it. */
function sandboxDependingOnIoredis(): ReturnType<typeof makeSandbox> {
  const sandbox = makeSandbox('ts-esm-nodenext');
  const pkgPath = path.join(sandbox.dir, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  pkg.dependencies.ioredis = '^5.4.0';
  fs.writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  return sandbox;
}

describe('Redis detection and the in-process default', () => {
  it('uses Redis when the app depends on ioredis, and says so', () => {
    const sandbox = sandboxDependingOnIoredis();
    try {
      const pkgPath = path.join(sandbox.dir, 'package.json');
      const result = runCli([...ADD, '--db', 'pglite'], { cwd: sandbox.dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/redis: detected from ioredis/);
      expect(fs.readFileSync(path.join(sandbox.dir, '.env'), 'utf8')).toMatch(/^REDIS_URL=/m);
      // A range the app already declared is kept.
      expect(JSON.parse(fs.readFileSync(pkgPath, 'utf8')).dependencies.ioredis).toBe('^5.4.0');
    } finally {
      sandbox.cleanup();
    }
  });

  it('--no-redis keeps state in the process even when the app depends on ioredis; a later run cannot drop Redis silently', () => {
    const sandbox = sandboxDependingOnIoredis();
    try {
      const optedOut = runCli([...ADD, '--db', 'pglite', '--no-redis', '--dry-run'], { cwd: sandbox.dir });
      expect(optedOut.code).toBe(0);
      expect(optedOut.stdout).toMatch(/limits: in-process \(--no-redis\)/);
      expect(optedOut.stdout).not.toMatch(/redis\.ts/);

      expect(runCli([...ADD, '--db', 'pglite'], { cwd: sandbox.dir }).code).toBe(0);
      const before = snapshotTree(sandbox.dir);
      const refused = runCli([...ADD, '--no-redis'], { cwd: sandbox.dir });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/installed with --redis/);
      expect(refused.stderr).toMatch(/backternity remove auth-jwt/);
      expect(snapshotTree(sandbox.dir)).toEqual(before);
    } finally {
      sandbox.cleanup();
    }
  });

  it('keeps state in the process without Redis, and warns once at a production start-up', async () => {
    const sandbox = makeSandbox('ts-esm-nodenext');
    try {
      expect(runCli([...ADD, '--db', 'pglite'], { cwd: sandbox.dir }).code).toBe(0);
      expect(fs.readFileSync(path.join(sandbox.dir, '.env'), 'utf8')).not.toMatch(/REDIS_URL/);
      expect(fs.existsSync(path.join(sandbox.dir, 'src', 'services', 'redis.ts'))).toBe(false);
      expect(fs.readFileSync(path.join(sandbox.dir, 'src', 'services', 'sharedState.ts'), 'utf8')).toMatch(/MemoryStore/);
      expect(runScript(sandbox.dir, 'build').code).toBe(0);
      const app = await startApp(sandbox.dir, { env: { NODE_ENV: 'production', BCRYPT_COST: '10' } });
      try {
        const login = await send(app.url, 'POST', '/api/auth/login', { json: { email: 'nobody@example.com', password: 'a wrong passphrase' } });
        expect(login.status).toBe(401);
        const warnings = app.output().match(/Rate limits and revocation caches are per process/g) ?? [];
        expect(warnings).toHaveLength(1);
      } finally {
        await app.stop();
      }
    } finally {
      sandbox.cleanup();
    }
  });
});

describe('backternity add auth-jwt --redis on a JavaScript app', () => {
  let sandbox: ReturnType<typeof makeSandbox>;

  beforeAll(() => {
    sandbox = makeSandbox('js-esm');
  });
  afterAll(() => sandbox?.cleanup());

  it('writes JavaScript that passes node --check', () => {
    const result = runCli([...ADD, '--db', 'pglite', '--redis'], { cwd: sandbox.dir });
    expect(result.code).toBe(0);
    const services = path.join(sandbox.dir, 'src', 'services');
    const files = ['redis.js', 'redisAccessCache.js', 'redisRateLimitStore.js', 'sharedState.js', 'authService.js', 'ttlCache.js'];
    for (const file of files) {
      const check = spawnSync(process.execPath, ['--check', path.join(services, file)], { encoding: 'utf8' });
      expect(check.stderr, file).toBe('');
      expect(check.status, file).toBe(0);
    }
  });

  it.skipIf(!redisProbe.reachable && !process.env.CI)('boots against Redis and serves register → me → logout', async () => {
    const prefix = `backternity-test-${randomBytes(4).toString('hex')}:`;
    const app = await startApp(sandbox.dir, { env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, BCRYPT_COST: '10' } });
    try {
      const registered = await send(app.url, 'POST', '/api/auth/register', { json: { email: 'js@example.com', password: PASSWORD } });
      expect(registered.status).toBe(201);
      const { token, refresh } = registered.body.data as { token: string; refresh: string };
      expect((await me(app.url, token)).status).toBe(200);
      expect((await send(app.url, 'POST', '/api/auth/logout', { token, json: { refreshToken: refresh } })).status).toBe(200);
      expect((await me(app.url, token)).status).toBe(401);
      expect(await listKeys(prefix)).toEqual(expect.arrayContaining([expect.stringMatching(/:jti:/)]));
    } finally {
      await app.stop();
      await deleteKeys(prefix);
    }
  });
});

// ---- helpers ----

let counter = 0;

async function register(url: string, label: string): Promise<string> {
  const email = `${label}-${++counter}@example.com`;
  const response = await send(url, 'POST', '/api/auth/register', { json: { email, password: PASSWORD } });
  if (response.status !== 201) throw new Error(`register ${email}: ${response.status} ${response.text}`);
  return email;
}

async function login(url: string, email: string): Promise<{ token: string; refresh: string }> {
  const response = await send(url, 'POST', '/api/auth/login', { json: { email, password: PASSWORD } });
  if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${response.text}`);
  return response.body.data as { token: string; refresh: string };
}

function me(url: string, token: string): Promise<HttpResponse> {
  return send(url, 'GET', '/api/auth/me', { token });
}

/** Retries until `done` holds (Redis reconnects within a few seconds), at most 20 s. */
async function eventually(attempt: () => Promise<HttpResponse>, done: (response: HttpResponse) => boolean): Promise<HttpResponse> {
  const deadline = Date.now() + 20_000;
  let last = await attempt();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await attempt();
  }
  return last;
}

async function probeRedis(): Promise<{ reachable: true } | { reachable: false; reason: string }> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return { reachable: true };
  } catch (error) {
    return { reachable: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    client.disconnect();
  }
}

async function listKeys(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  if (!redisProbe.reachable) return;
  const keys = await listKeys(prefix);
  if (keys.length === 0) return;
  const client = new Redis(REDIS_URL);
  try {
    await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
