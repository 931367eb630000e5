import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthApi,
  boot,
  PASSWORD,
  scaffoldApp,
  securityEvents,
  send,
  uniqueEmail,
  type Account,
  type HttpResponse,
  type RunningApp,
  type ScaffoldedApp,
} from './harness.js';

/**
 * Checklist A4 (passwords, 23–25), A5 (user enumeration, 26–28), A6 (input validation, 29–32) and items 40, 41,
 * 43 and 44 (caching, CORS, internals, security logging), over HTTP on one PGlite app run with
 * NODE_ENV=development (so Express's own HTML error page, which shows stacks there, would be caught).
 * Hash format, rehash, normalization in the database and the races run per store in storeSuite.ts.
 */
const ALLOWED_ORIGIN = 'https://app.example';
const CANARY = 'Canary-P@ss-9f1c';
// 18 different 4-byte emoji: exactly 72 UTF-8 bytes. Different ones, because one emoji repeated is refused as too
// common (a repeated unit is only as strong as the unit), which is not what these tests are about.
const EMOJI_72_BYTES = '😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚';

let scaffolded: ScaffoldedApp;
let app: RunningApp;
let api: AuthApi;
let victim: Account;

beforeAll(async () => {
  scaffolded = scaffoldApp('pglite');
  app = await boot(scaffolded, { NODE_ENV: 'development', AUTH_ALLOWED_ORIGINS: ALLOWED_ORIGIN, REFRESH_REUSE_GRACE: '0' });
  api = new AuthApi(app.url);
  victim = await api.signUp(uniqueEmail('victim'));
}, 120_000);
afterAll(async () => {
  await app?.stop();
  scaffolded?.cleanup();
});

const register = (body: unknown) => api.post('/register', body);
const login = (body: unknown) => api.post('/login', body);

function expectError(response: HttpResponse, status: number, code?: string): void {
  expect(response.status, response.text).toBe(status);
  expect(response.body).toMatchObject({ success: false, ...(code ? { code } : {}) });
}

describe('23. no silent 72-byte truncation', () => {
  it('73 ASCII bytes → 400 password_too_long', async () => {
    expectError(await register({ email: uniqueEmail(), password: `${'a'.repeat(72)}X` }), 400, 'password_too_long');
  });

  it('19 emoji (76 UTF-8 bytes, 19 characters) → 400 password_too_long', async () => {
    expectError(await register({ email: uniqueEmail(), password: `${EMOJI_72_BYTES}🙂` }), 400, 'password_too_long');
  });

  it('exactly 72 bytes (18 emoji) → 201', async () => {
    expect(Buffer.byteLength(EMOJI_72_BYTES)).toBe(72);
    expect((await register({ email: uniqueEmail(), password: EMOJI_72_BYTES })).status).toBe(201);
  });
});

describe('24. length and composition per NIST 800-63B-4 (PASSWORD_MIN_LENGTH default 12)', () => {
  it('11 characters → 400 password_too_short', async () => {
    expectError(await register({ email: uniqueEmail(), password: 'abcdefghijk' }), 400, 'password_too_short');
  });

  it.each([
    ['correcthorsebatterystaple', 'correcthorsebatterystaple'],
    ['64 ASCII characters', randomBytes(32).toString('hex')],
    ['Unicode with spaces', 'Ünïcødé pass phrase ✓'],
  ])('%s → 201 (no composition rules)', async (_name, password) => {
    expect((await register({ email: uniqueEmail(), password })).status).toBe(201);
  });

  it('129 characters → 400', async () => {
    expectError(await register({ email: uniqueEmail(), password: 'y'.repeat(129) }), 400);
  });

  it('no trimming: registered with surrounding spaces, the trimmed password fails and the exact one works', async () => {
    const email = uniqueEmail();
    const password = ' pass phrase 2024 xyz ';
    expect((await register({ email, password })).status).toBe(201);
    expect((await login({ email, password: password.trim() })).status).toBe(401);
    expect((await login({ email, password })).status).toBe(200);
  });

  it('no case changes: the upper-cased password fails', async () => {
    expect((await login({ email: victim.email, password: PASSWORD.toUpperCase() })).status).toBe(401);
  });
});

describe('25. common passwords are refused', () => {
  it.each(['passwordpassword', '123456789012345'])('%s → 400 password_too_common', async (password) => {
    expectError(await register({ email: uniqueEmail(), password }), 400, 'password_too_common');
  });
});

describe('26. uniform login failures', () => {
  it('unknown email, wrong password and an over-long password answer the same status, body and headers (but Date)', async () => {
    const responses = await Promise.all([
      login({ email: uniqueEmail('nobody'), password: 'wrong password here' }),
      login({ email: victim.email, password: 'wrong password here' }),
      login({ email: victim.email, password: `${PASSWORD}${'!'.repeat(80)}` }),
    ]);
    const [first, ...rest] = responses.map(comparable);
    expect(first!.status).toBe(401);
    expect(first!.body).toMatchObject({ success: false, code: 'invalid_credentials' });
    for (const other of rest) expect(other).toEqual(first);
  });
});

describe('27. uniform login timing (BCRYPT_COST=10, rate limits off)', () => {
  it('40 interleaved pairs: |median of the paired differences (known email, wrong password − unknown email)| < 10 ms', async () => {
    const unknown: number[] = [];
    const known: number[] = [];
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await login({ email, password: 'wrong password here' });
      expect(response.status).toBe(401); // never 429: RATE_LIMIT_ENABLED=false
      return performance.now() - started;
    };
    for (let round = 0; round < 3; round++) await timed(victim.email); // warm-up
    for (let round = 0; round < 40; round++) {
      // Alternate which goes first so drift in machine load hits both sides alike.
      if (round % 2 === 0) {
        unknown.push(await timed(uniqueEmail('ghost')));
        known.push(await timed(victim.email));
      } else {
        known.push(await timed(victim.email));
        unknown.push(await timed(uniqueEmail('ghost')));
      }
    }
    // Each pair ran back to back, so a difference within a pair cancels the machine's load drift, which on a
    // shared 2-core machine moves whole stretches of logins by more than the bound. A real leak (an early
    // return for unknown users) differs by a whole bcrypt compare: 60+ ms at cost 10.
    const delta = Math.abs(median(known.map((value, index) => value - (unknown[index] ?? value))));
    console.info(`[security 27] median login: unknown ${median(unknown).toFixed(1)} ms, known ${median(known).toFixed(1)} ms, paired Δ ${delta.toFixed(1)} ms`);
    expect(delta).toBeLessThan(10);
  });
});

describe('28. registration conflict contract', () => {
  it('a second registration → 409 email_taken with no user, token or hash', async () => {
    const response = await register({ email: victim.email, password: 'another long password' });
    expectError(response, 409, 'email_taken');
    expect(response.body.data).toBeUndefined();
    expect(response.text).not.toMatch(/\$2[aby]\$|token|"id"/);
  });
});

describe('29. strict schemas on every auth body', () => {
  it.each([
    ['email is a number', { email: 123, password: PASSWORD }],
    ['email is an array', { email: ['a@b.co'], password: PASSWORD }],
    ['email longer than 254', { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD }],
    ['role: admin', { email: uniqueEmail(), password: PASSWORD, role: 'admin' }],
    ['isEmailVerified', { email: uniqueEmail(), password: PASSWORD, isEmailVerified: true }],
    ['_id', { email: uniqueEmail(), password: PASSWORD, _id: '000000000000000000000000' }],
    ['tv', { email: uniqueEmail(), password: PASSWORD, tv: 99 }],
    ['password missing', { email: uniqueEmail() }],
  ])('register with %s → 400 invalid_request', async (_name, body) => {
    expectError(await register(body), 400, 'invalid_request');
  });

  it('login with an unknown key → 400 invalid_request', async () => {
    expectError(await login({ email: victim.email, password: PASSWORD, remember: true }), 400, 'invalid_request');
  });

  it('register can never grant a role: a plain registration is role "user"', async () => {
    const account = await api.signUp();
    expect(account.session.user.role).toBe('user');
    expect((await api.me(account.session.token)).body.data.user.role).toBe('user');
  });
});

describe('29. emails with control, invisible or unencodable characters → 400, never a 503 from the database', () => {
  it.each([
    ['a NUL', 'a\u0000b@example.com'],
    ['a zero-width space', 'ad\u200bmin@example.com'],
    ['a right-to-left override', 'admin\u202e@example.com'],
    ['a lone surrogate', 'a\ud800b@example.com'],
  ])('%s', async (_name, email) => {
    for (const route of ['/register', '/login']) {
      const response = await api.post(route, { email, password: PASSWORD });
      expectError(response, 400, 'invalid_request');
    }
  });
});

describe('30. operator injection is a 400', () => {
  it('login {"email":{"$gt":""}} → 400', async () => {
    expectError(await login({ email: { $gt: '' }, password: 'x' }), 400, 'invalid_request');
  });

  it('login {"password":{"$ne":null}} → 400, not 500', async () => {
    expectError(await login({ email: victim.email, password: { $ne: null } }), 400, 'invalid_request');
  });

  it.each(['/refresh', '/logout'])('%s {"refreshToken":{"$ne":""}} → 400', async (route) => {
    expectError(await api.post(route, { refreshToken: { $ne: '' } }), 400, 'invalid_request');
  });
  // sanitizeFilter on the Mongo store itself: mongo.test.ts (only with a reachable MONGODB_URI).
});

describe('31. prototype-pollution-safe parsing', () => {
  it.each([
    ['__proto__', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","__proto__":{"isAdmin":true}}`],
    ['constructor.prototype', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","constructor":{"prototype":{"isAdmin":true}}}`],
  ])('register with %s → 400', async (_name, raw) => {
    expectError(await api.post('/register', undefined, { raw, contentType: 'application/json' }), 400);
  });

  it('afterwards another user’s /me shows no isAdmin and the process’s objects are clean', async () => {
    const account = await api.signUp();
    const me = await api.me(account.session.token);
    expect(me.status).toBe(200);
    expect(me.text).not.toContain('isAdmin');
  });
});

describe('32. bounded, well-behaved body parsing', () => {
  it('an 11 kB body → 413 JSON envelope', async () => {
    const response = await api.post('/login', { email: victim.email, password: 'p'.repeat(11 * 1024) });
    expectError(response, 413);
  });

  it('malformed JSON → 400 invalid_request, no SyntaxError or stack', async () => {
    const response = await api.post('/login', undefined, { raw: '{"email":', contentType: 'application/json' });
    expectError(response, 400, 'invalid_request');
    expect(response.text).not.toMatch(/SyntaxError|\bat \S+|<html/i);
  });

  it('a body that is not the gzip its Content-Encoding claims → 400 JSON, never 500 or 503', async () => {
    const response = await api.post('/login', undefined, {
      raw: JSON.stringify({ email: victim.email, password: PASSWORD }),
      contentType: 'application/json',
      headers: { 'content-encoding': 'gzip' },
    });
    expectError(response, 400, 'invalid_request');
  });

  it('Content-Type: text/plain → 415 (or 400), never 500', async () => {
    const response = await api.post('/login', undefined, { raw: JSON.stringify({ email: victim.email, password: PASSWORD }), contentType: 'text/plain' });
    expect([400, 415]).toContain(response.status);
    expect(response.body).toMatchObject({ success: false });
  });
});

describe('40. no caching of token or user responses', () => {
  it('register, login, refresh and me carry Cache-Control: no-store and Pragma: no-cache', async () => {
    const registered = await register({ email: uniqueEmail(), password: PASSWORD });
    const loggedIn = await login({ email: victim.email, password: PASSWORD });
    const refreshed = await api.refresh(loggedIn.body.data.refresh);
    const me = await api.me(loggedIn.body.data.token);
    for (const response of [registered, loggedIn, refreshed, me]) {
      expect(response.status).toBeLessThan(300);
      expect(response.headers['cache-control']).toMatch(/no-store/);
      expect(response.headers.pragma).toBe('no-cache');
    }
  });
});

describe('41. CORS: never * and never a reflected foreign origin', () => {
  const preflight = (origin: string) =>
    send(app.url, 'OPTIONS', '/api/auth/login', {
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('a preflight from https://evil.example gets no Access-Control-Allow-Origin', async () => {
    const response = await preflight('https://evil.example');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(response.status).toBeLessThan(500);
  });

  it('a login from a foreign origin gets no Access-Control-Allow-Origin or -Credentials', async () => {
    const response = await login({ email: victim.email, password: 'wrong password here' });
    const foreign = await api.post('/login', { email: victim.email, password: 'wrong password here' }, { headers: { origin: 'https://evil.example' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    expect(foreign.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('an allowed origin, if the kit answers CORS at all, is echoed exactly with Vary: Origin', async (context) => {
    const response = await preflight(ALLOWED_ORIGIN);
    const allowOrigin = response.headers['access-control-allow-origin'];
    if (allowOrigin === undefined) {
      console.info('[security 41] SKIPPED the allowed-origin half: the kit sets no CORS headers (CORS origins are the app’s job, issue 4 / SECURITY.md).');
      context.skip();
    }
    expect(allowOrigin).toBe(ALLOWED_ORIGIN);
    expect(String(response.headers.vary)).toMatch(/origin/i);
  });
});

describe('43. responses never expose hashes or internals', () => {
  it('register, login, me and refresh bodies hold no password, hash, __v or stack', async () => {
    const email = uniqueEmail();
    const bodies = [await register({ email, password: PASSWORD }), await login({ email, password: PASSWORD })];
    const session = bodies[1]!.body.data;
    bodies.push(await api.me(session.token), await api.refresh(session.refresh));
    for (const response of bodies) {
      expect(response.status).toBeLessThan(300);
      expect(response.text).not.toMatch(/password|\$2[aby]\$|__v|token_?hash|tokenVersion|"tv"|\bat \S+:\d+/i);
    }
  });

  it('an unknown auth route and a wrong method answer JSON, not an HTML page', async () => {
    for (const response of [await api.get('/nope'), await api.get('/login')]) {
      expect(response.text).not.toMatch(/<html|<pre>|\bat \S+:\d+/i);
    }
  });
  // The database-down case (503 without driver details) needs a database the test can stop: storeSuite.ts on PostgreSQL.
});

describe('44. security events are logged, without secrets', () => {
  it('login ok/failed, refresh and logout are JSON lines with userId, ip, userAgent, UTC time; no password, token or secret', async () => {
    const agent = 'security-suite/44';
    const headers = { 'user-agent': agent };
    const email = uniqueEmail('canary');
    expect((await api.post('/register', { email, password: CANARY }, { headers })).status).toBe(201);
    const session = (await api.post('/login', { email, password: CANARY }, { headers })).body.data;
    const failed = await api.post('/login', { email, password: `${CANARY}-wrong` }, { headers });
    expect(failed.status).toBe(401);
    const rotated = (await api.refresh(session.refresh, { headers })).body.data;
    const out = await api.post('/logout', { refreshToken: rotated.refresh }, { token: rotated.token, headers });
    expect(out.status).toBe(200);

    const output = app.output();
    for (const secret of [CANARY, session.token, session.refresh, rotated.token, rotated.refresh, scaffolded.secret]) {
      expect(output).not.toContain(secret);
    }
    const mine = securityEvents(app).filter((event) => event.userAgent === agent);
    for (const name of ['login_succeeded', 'login_failed', 'refresh', 'logout']) {
      const event = mine.find((candidate) => candidate.event === name);
      expect(event, `a ${name} event`).toBeDefined();
      expect(event).toMatchObject({ source: 'auth', level: expect.stringMatching(/^(info|warn)$/), ip: expect.any(String) });
      expect(event!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      if (name !== 'login_failed') expect(event!.userId).toBe(session.user.id);
    }
  });

  it('an injected line break in the email cannot forge an event line', async () => {
    const forged = '{"level":"info","source":"auth","event":"forged_event_7c1"}';
    await login({ email: `${uniqueEmail()}\n${forged}`, password: 'wrong password here' });
    expect(securityEvents(app).some((event) => event.event === 'forged_event_7c1')).toBe(false);
    expect(app.output().split('\n')).not.toContain(forged);
  });
});

/** A response as a client sees it, minus the Date header. */
function comparable(response: HttpResponse) {
  const { date: _date, ...headers } = response.headers;
  return { status: response.status, headers, body: response.body, text: response.text };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
