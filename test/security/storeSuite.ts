/**
 * The checklist items where the store matters (A3 sessions 12–21, and 7, 22, 33, 34, 38's role grant, 43's
 * database outage), written once and run against PGlite and PostgreSQL by sessions.pglite.test.ts and
 * sessions.postgres.test.ts. The database is read directly: PostgreSQL while the app runs, PGlite (one process
 * per data directory) with the app stopped.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScratchDatabase } from '../contract/postgres.js';
import {
  AuthApi,
  boot,
  decodeToken,
  forge,
  PASSWORD,
  scaffoldApp,
  securityEvents,
  send,
  sleep,
  uniqueEmail,
  type Account,
  type HttpResponse,
  type RunningApp,
  type ScaffoldedApp,
  type Session,
} from './harness.js';

type Row = Record<string, any>;

interface StoreHandle {
  /** Env that points the app at the store. */
  env: Record<string, string>;
  /** Runs `read` against the database, stopping the app around it when the store needs that. */
  inspect<T>(read: (query: (sql: string, params?: unknown[]) => Promise<Row[]>) => Promise<T>): Promise<T>;
  /** Lets the app have the database again (PGlite: closes the test's own connection). */
  release(): Promise<void>;
  /** Present for PostgreSQL only: makes the database refuse connections, then undoes it. */
  outage?: { begin(): Promise<void>; end(): Promise<void> };
}

const PHASE_ONE_ENV = { REFRESH_REUSE_GRACE: '0', AUTH_USER_CACHE_TTL: '1s' };
// Short absolute refresh life for item 16, a short grace window to see both sides of it, a higher cost for the rehash.
const PHASE_THREE_ENV = { REFRESH_EXPIRES_IN: '6s', REFRESH_REUSE_GRACE: '3s', BCRYPT_COST: '11' };

export function defineStoreSuite(store: 'pglite' | 'postgres', scratch?: () => ScratchDatabase): void {
  let scaffolded: ScaffoldedApp;
  let app: RunningApp | undefined;
  let api: AuthApi;
  let handle: StoreHandle;

  const start = async (env: Record<string, string>) => {
    await handle.release();
    app = await boot(scaffolded, { ...handle.env, ...env });
    api = new AuthApi(app.url);
  };
  const stop = async () => {
    await app?.stop();
    app = undefined;
  };

  beforeAll(async () => {
    scaffolded = scaffoldApp(store);
    handle = store === 'postgres' ? postgresHandle(scratch!()) : pgliteHandle(path.join(scaffolded.dir, '.data', 'auth'), stop);
    await start(PHASE_ONE_ENV);
  }, 180_000);
  afterAll(async () => {
    await stop();
    await handle?.release();
    scaffolded?.cleanup();
  });

  // Accounts and tokens phase one leaves for the database checks and for phase three.
  const seen: { refreshTokens: string[] } = { refreshTokens: [] };
  let raced: { refresh: string; userId: string };
  let twoLogins: [Session, Session];
  let loggedOut: Session;
  let doomed: Account;
  let promoted: Account;
  let hashed: Account;
  const normalizedEmail = uniqueEmail('alice').toLowerCase();
  const raceEmail = uniqueEmail('race');

  const remember = (session: Session) => {
    seen.refreshTokens.push(session.refresh);
    return session;
  };

  describe(`phase one (${store}, REFRESH_REUSE_GRACE=0)`, () => {
    it('12. the refresh token is ≥ 43 base64url characters; one character changed → 401', async () => {
      const account = await api.signUp();
      remember(account.session);
      expect(account.session.refresh).toMatch(/^[A-Za-z0-9_-]{43,}$/);
      const last = account.session.refresh.at(-1) === 'A' ? 'B' : 'A';
      const changed = await api.refresh(account.session.refresh.slice(0, -1) + last);
      expect(changed.status).toBe(401);
      expect((await api.refresh(account.session.refresh)).status).toBe(200);
    });

    it('13. every refresh rotates: a new pair, and the presented token stops working', async () => {
      const { session } = await api.signUp();
      const rotated = await api.refresh(session.refresh);
      expect(rotated.status).toBe(200);
      expect(rotated.body.data).toMatchObject({ token: expect.any(String), refresh: expect.any(String), expiresIn: 900 });
      expect(rotated.body.data.refresh).not.toBe(session.refresh);
      remember(rotated.body.data);
      expect((await api.refresh(session.refresh)).status).toBe(401);
      expect((await api.me(rotated.body.data.token)).status).toBe(200);
    });

    it('14. reusing a rotated token revokes its whole family, logs refresh_token_reuse, and spares other devices', async () => {
      const account = await api.signUp();
      const otherDevice = remember(await api.signIn(account));
      const second = await api.refresh(account.session.refresh);
      expect(second.status).toBe(200);
      expect((await api.refresh(account.session.refresh)).status).toBe(401);
      expect((await api.refresh(second.body.data.refresh)).status).toBe(401);
      expect((await api.refresh(otherDevice.refresh)).status).toBe(200);
      const reuse = securityEvents(app!).filter((event) => event.event === 'refresh_token_reuse' && event.userId === account.session.user.id);
      expect(reuse).toHaveLength(1);
      expect(reuse[0]).toMatchObject({ level: 'warn', familyId: expect.any(String) });
    });

    it('15. 20 parallel refreshes of one token → exactly one 200, nineteen 401, no 5xx', async () => {
      const { session } = await api.signUp();
      raced = { refresh: session.refresh, userId: session.user.id };
      const responses = await Promise.all(Array.from({ length: 20 }, () => api.refresh(session.refresh)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(19);
    });

    it('17. logout revokes the refresh token and the access token; unknown or repeated logouts answer the same 200', async () => {
      const account = await api.signUp();
      loggedOut = account.session;
      const logout = await api.post('/logout', { refreshToken: account.session.refresh }, { token: account.session.token });
      expect(logout.status).toBe(200);
      expect(logout.body).toMatchObject({ success: true });
      expect((await api.refresh(account.session.refresh)).status).toBe(401);
      expect((await api.me(account.session.token)).status).toBe(401);
      const again = await api.post('/logout', { refreshToken: account.session.refresh });
      const unknown = await api.post('/logout', { refreshToken: 'x'.repeat(43) });
      const garbage = await api.post('/logout', { refreshToken: 'garbage' });
      for (const response of [again, unknown, garbage]) {
        expect(response.status).toBe(200);
        expect(response.body).toEqual(logout.body);
      }
    });

    it('18. logout-all ends every device at once: refresh tokens and outstanding access tokens', async () => {
      const account = await api.signUp();
      const deviceB = await api.signIn(account);
      const all = await api.post('/logout-all', undefined, { token: account.session.token });
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ success: true });
      expect((await api.refresh(deviceB.refresh)).status).toBe(401);
      expect((await api.me(deviceB.token)).status).toBe(401);
      expect((await api.me(account.session.token)).status).toBe(401);
      expect((await api.refresh(account.session.refresh)).status).toBe(401);
      expect(securityEvents(app!).some((event) => event.event === 'logout_all' && event.userId === account.session.user.id)).toBe(true);
    });

    describe('19. change-password', () => {
      let account: Account;
      let deviceB: Session;
      beforeAll(async () => {
        account = await api.signUp();
        deviceB = await api.signIn(account);
      });

      const change = (body: unknown, token = account.session.token) => api.post('/change-password', body, { token });

      it('without currentPassword → 400 invalid_request', async () => {
        const response = await change({ newPassword: 'a brand new pass phrase' });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({ success: false, code: 'invalid_request' });
      });

      it('without a token → 401', async () => {
        const response = await api.post('/change-password', { currentPassword: PASSWORD, newPassword: 'a brand new pass phrase' });
        expect(response.status).toBe(401);
      });

      it('with a wrong currentPassword → 401 invalid_credentials, logged as password_change_failed', async () => {
        const response = await change({ currentPassword: 'not the password at all', newPassword: 'a brand new pass phrase' });
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ success: false, code: 'invalid_credentials' });
        const failed = securityEvents(app!).filter((event) => event.event === 'password_change_failed' && event.userId === account.session.user.id);
        expect(failed).toHaveLength(1);
        expect(failed[0]).toMatchObject({ level: 'warn' });
      });

      it('the new password follows the registration rules (too short, too common)', async () => {
        const short = await change({ currentPassword: PASSWORD, newPassword: 'short' });
        expect(short.status).toBe(400);
        expect(short.body).toMatchObject({ code: 'password_too_short' });
        const common = await change({ currentPassword: PASSWORD, newPassword: 'passwordpassword' });
        expect(common.status).toBe(400);
        expect(common.body).toMatchObject({ code: 'password_too_common' });
      });

      it('success → 200 with a fresh pair; other devices’ access and refresh tokens → 401; only the new password logs in', async () => {
        const newPassword = 'a brand new pass phrase';
        const response = await change({ currentPassword: PASSWORD, newPassword });
        expect(response.status).toBe(200);
        const fresh: Session = response.body.data;
        expect(fresh).toMatchObject({ token: expect.any(String), refresh: expect.any(String), expiresIn: 900 });
        expect(fresh.user.id).toBe(account.session.user.id);
        expect((await api.me(deviceB.token)).status).toBe(401);
        expect((await api.refresh(deviceB.refresh)).status).toBe(401);
        expect((await api.me(account.session.token)).status).toBe(401);
        expect((await api.me(fresh.token)).status).toBe(200);
        expect((await api.refresh(fresh.refresh)).status).toBe(200);
        expect((await api.post('/login', { email: account.email, password: PASSWORD })).status).toBe(401);
        expect((await api.post('/login', { email: account.email, password: newPassword })).status).toBe(200);
        expect(securityEvents(app!).some((event) => event.event === 'password_changed' && event.userId === fresh.user.id)).toBe(true);
      });
    });

    it('19 (race). two simultaneous password changes: one 200, one 401; only the winner’s password logs in', async () => {
      const account = await api.signUp();
      const passwords = ['the first new pass phrase', 'the second new pass phrase'];
      const responses = await Promise.all(
        passwords.map((newPassword) => api.post('/change-password', { currentPassword: PASSWORD, newPassword }, { token: account.session.token })),
      );
      expect(responses.map((response) => response.status).sort()).toEqual([200, 401]);
      const winner = passwords[responses.findIndex((response) => response.status === 200)]!;
      const loser = passwords.find((password) => password !== winner)!;
      expect((await api.post('/login', { email: account.email, password: winner })).status).toBe(200);
      expect((await api.post('/login', { email: account.email, password: loser })).status).toBe(401);
      expect((await api.post('/login', { email: account.email, password: PASSWORD })).status).toBe(401);
    });

    it('17, 18 (race). a refresh racing with logout or logout-all leaves no working session behind', async () => {
      for (let round = 0; round < 6; round++) {
        const account = await api.signUp();
        const device = await api.signIn(account);
        const [refreshed, ended] = await Promise.all([
          api.refresh(device.refresh),
          round % 2 === 0
            ? api.post('/logout-all', undefined, { token: account.session.token })
            : api.post('/logout', { refreshToken: device.refresh }, { token: device.token }),
        ]);
        expect(ended.status, `round ${round}`).toBe(200);
        expect([200, 401], `round ${round}`).toContain(refreshed.status);
        expect((await api.refresh(device.refresh)).status, `round ${round}`).toBe(401);
        if (refreshed.status === 200) {
          const next: Session = refreshed.body.data;
          expect((await api.refresh(next.refresh)).status, `round ${round}: the successor`).toBe(401);
          // Logout ends the family, not access tokens it did not present; logout-all ends them all.
          if (round % 2 === 0) expect((await api.me(next.token)).status, `round ${round}: its access token`).toBe(401);
        }
      }
    });

    it('20. every login starts its own family; both refresh independently', async () => {
      const account = await api.signUp();
      const first = remember(await api.signIn(account));
      const second = remember(await api.signIn(account));
      expect(first.refresh).not.toBe(second.refresh);
      twoLogins = [first, second];
      const [a, b] = await Promise.all([api.refresh(first.refresh), api.refresh(second.refresh)]);
      expect([a.status, b.status]).toEqual([200, 200]);
    });

    it('21. a re-signed variant of a logged-out access token (same jti, different bytes) → 401', async () => {
      const { header, payload } = decodeToken(loggedOut.token);
      const reordered = Object.fromEntries(Object.entries(payload).reverse());
      const variant = forge(reordered, scaffolded.secret, { ...(header as unknown as Record<string, unknown>), alg: 'HS256' });
      expect(variant).not.toBe(loggedOut.token);
      expect((await api.me(variant)).status).toBe(401);
    });

    it('33. emails are trimmed and lower-cased before uniqueness checks and lookups', async () => {
      const [local, domain] = normalizedEmail.split('@');
      const messy = ` ${local!.replace(/^a/, 'A')}@${domain!.toUpperCase()} `;
      const registered = await api.post('/register', { email: messy, password: PASSWORD });
      expect(registered.status).toBe(201);
      expect(registered.body.data.user.email).toBe(normalizedEmail);
      const duplicate = await api.post('/register', { email: normalizedEmail, password: PASSWORD });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ success: false, code: 'email_taken' });
      const login = await api.post('/login', { email: normalizedEmail.toUpperCase(), password: PASSWORD });
      expect(login.status).toBe(200);
    });

    it('34. 20 parallel registrations of one email → one 201, nineteen 409, no 5xx', async () => {
      const responses = await Promise.all(Array.from({ length: 20 }, () => api.post('/register', { email: raceEmail, password: PASSWORD })));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    });

    it('prepares accounts for the database checks and phase three', async () => {
      doomed = await api.signUp(uniqueEmail('doomed'));
      promoted = await api.signUp(uniqueEmail('promoted'));
      hashed = await api.signUp(uniqueEmail('hashed'));
      expect((await api.me(doomed.session.token)).status).toBe(200);
      remember(hashed.session);
    });
  });

  describe(`phase two (${store}): the database`, () => {
    it('12. no stored column holds a refresh token; each is stored as its SHA-256', async () => {
      const { tokens, users } = await handle.inspect(async (query) => ({
        tokens: await query('SELECT * FROM auth_refresh_tokens'),
        users: await query('SELECT * FROM auth_users'),
      }));
      const dump = JSON.stringify([tokens, users]);
      for (const token of seen.refreshTokens) expect(dump).not.toContain(token);
      const hashes = new Set(tokens.map((row) => row.token_hash));
      for (const token of seen.refreshTokens) expect(hashes.has(sha256(token))).toBe(true);
      for (const column of ['token_hash', 'family_id', 'user_id', 'expires_at', 'family_expires_at', 'revoked_at', 'created_at']) {
        expect(tokens[0]).toHaveProperty(column);
      }
    });

    it('15. the race minted exactly one successor in the family', async () => {
      const rows = await handle.inspect((query) =>
        query(
          `SELECT t.* FROM auth_refresh_tokens t JOIN auth_refresh_tokens raced ON raced.family_id = t.family_id WHERE raced.token_hash = $1`,
          [sha256(raced.refresh)],
        ),
      );
      expect(rows).toHaveLength(2);
    });

    it('20. the two logins are two families', async () => {
      const rows = await handle.inspect((query) =>
        query('SELECT token_hash, family_id FROM auth_refresh_tokens WHERE token_hash = ANY($1)', [twoLogins.map((s) => sha256(s.refresh))]),
      );
      expect(rows).toHaveLength(2);
      expect(rows[0]!.family_id).not.toBe(rows[1]!.family_id);
    });

    it('21. the denylist holds the logged-out token’s jti, expiring with the token', async () => {
      const { payload } = decodeToken(loggedOut.token);
      const rows = await handle.inspect((query) => query('SELECT * FROM auth_access_token_denylist WHERE jti = $1', [payload.jti]));
      expect(rows).toHaveLength(1);
      expect(Math.round(new Date(rows[0]!.expires_at).getTime() / 1000)).toBe(payload.exp);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(loggedOut.token);
      expect(dump).not.toContain(sha256(loggedOut.token));
    });

    it('22, 33, 34. hashes are bcrypt ≥ 10; emails are stored normalized and once', async () => {
      const rows = await handle.inspect((query) =>
        query('SELECT email, password_hash FROM auth_users WHERE email = ANY($1)', [[hashed.email, normalizedEmail, raceEmail]]),
      );
      expect(rows.map((row) => row.email).sort()).toEqual([hashed.email, normalizedEmail, raceEmail].sort());
      for (const row of rows) expect(row.password_hash).toMatch(/^\$2[aby]\$(1[0-9]|2[0-9]|3[01])\$/);
      expect(rows.find((row) => row.email === hashed.email)!.password_hash).toMatch(/^\$2[aby]\$10\$/);
    });

    it('7, 38. the test deletes one user and promotes another to admin', async () => {
      const changed = await handle.inspect(async (query) => {
        const deleted = await query('DELETE FROM auth_users WHERE id = $1 RETURNING id', [doomed.session.user.id]);
        const updated = await query(`UPDATE auth_users SET role = 'admin' WHERE id = $1 RETURNING id`, [promoted.session.user.id]);
        return deleted.length + updated.length;
      });
      expect(changed).toBe(2);
    });
  });

  describe(`phase three (${store}, REFRESH_EXPIRES_IN=6s, REFRESH_REUSE_GRACE=3s, BCRYPT_COST=11)`, () => {
    beforeAll(async () => {
      await stop();
      await start(PHASE_THREE_ENV);
    }, 60_000);

    it('7. a deleted user’s unexpired access token and refresh token → 401', async () => {
      expect((await api.me(doomed.session.token)).status).toBe(401);
      expect((await api.refresh(doomed.session.refresh)).status).toBe(401);
    });

    it('38. requireRole: the promoted user’s next login passes the admin route', async () => {
      const session = await api.signIn(promoted);
      expect(session.user.role).toBe('admin');
      const response = await send(app!.url, 'GET', '/admin-only', { token: session.token });
      expect(response.status).toBe(200);
    });

    it('22. logging in with a hash below BCRYPT_COST succeeds (and rehashes: checked after the app stops)', async () => {
      expect((await api.post('/login', { email: hashed.email, password: hashed.password })).status).toBe(200);
    });

    it('15 (grace). inside REFRESH_REUSE_GRACE parallel refreshes all get a working pair and the family survives; after it, reuse revokes it', async () => {
      const { session } = await api.signUp();
      const responses = await Promise.all(Array.from({ length: 10 }, () => api.refresh(session.refresh)));
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
      const survivor = await api.refresh(responses[9]!.body.data.refresh);
      expect(survivor.status).toBe(200);
      await sleep(3500);
      expect((await api.refresh(session.refresh)).status).toBe(401);
      expect((await api.refresh(survivor.body.data.refresh)).status).toBe(401);
    });

    it('16. rotation never extends the absolute refresh lifetime (6 s): 200 at 2 s and 4 s, 401 at 7 s', async () => {
      const { session } = await api.signUp();
      const startedAt = Date.now();
      const at = (seconds: number) => sleep(Math.max(0, startedAt + seconds * 1000 - Date.now()));
      await at(2);
      const first = await api.refresh(session.refresh);
      expect(first.status).toBe(200);
      await at(4);
      const second = await api.refresh(first.body.data.refresh);
      expect(second.status).toBe(200);
      await at(7);
      expect((await api.refresh(second.body.data.refresh)).status).toBe(401);
    });

    if (store === 'postgres') {
      it('43. with the database refusing connections, login → 503 service_unavailable without driver details; the app recovers', async () => {
        await handle.outage!.begin();
        let response: HttpResponse;
        try {
          response = await api.post('/login', { email: hashed.email, password: hashed.password });
        } finally {
          await handle.outage!.end();
        }
        expect(response.status).toBe(503);
        expect(response.body).toMatchObject({ success: false, code: 'service_unavailable' });
        expect(response.text).not.toMatch(/FATAL|ALLOW_CONNECTIONS|not currently accepting|pg_|ECONNREFUSED|\bat \S+:\d+/);
        expect((await api.post('/login', { email: hashed.email, password: hashed.password })).status).toBe(200);
      });
    }
  });

  describe(`phase four (${store}): after the app stops`, () => {
    it('22. the login at BCRYPT_COST=11 rehashed the cost-10 password', async () => {
      await stop();
      const rows = await handle.inspect((query) => query('SELECT password_hash FROM auth_users WHERE email = $1', [hashed.email]));
      expect(rows[0]!.password_hash).toMatch(/^\$2[aby]\$11\$/);
    });
  });
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function postgresHandle(database: ScratchDatabase): StoreHandle {
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    env: { DATABASE_URL: database.url },
    inspect: (read) => read(query),
    release: async () => undefined,
    outage: {
      begin: async () => {
        await database.admin(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
        await database.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
      },
      end: async () => void (await database.admin(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`)),
    },
  };
}

/**
 * PGlite allows one process per data directory: the first read stops the app and opens the directory, which
 * stays open for the next reads until `release` (called before the app starts again).
 */
function pgliteHandle(dataDir: string, stopApp: () => Promise<void>): StoreHandle {
  let db: PGlite | undefined;
  return {
    env: {},
    inspect: async (read) => {
      if (!db) {
        await stopApp();
        db = await PGlite.create(dataDir);
      }
      const open = db;
      return read(async (sql, params = []) => (await open.query<Row>(sql, params)).rows);
    },
    release: async () => {
      await db?.close();
      db = undefined;
    },
  };
}
