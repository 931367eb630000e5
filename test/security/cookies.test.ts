import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthApi,
  boot,
  PASSWORD,
  scaffoldApp,
  securityEvents,
  uniqueEmail,
  type HttpResponse,
  type RunningApp,
  type ScaffoldedApp,
} from './harness.js';

/**
 * Checklist item 42: the opt-in cookie transport for the refresh token (`backternity add auth-jwt --refresh-cookie`),
 * its cookie attributes and its CSRF defence (Origin allow-list, or Sec-Fetch-Site: same-origin without Origin).
 * The app also runs with AUTH_LOG_EVENTS=false, which must silence the security events (item 44's switch).
 */
const ALLOWED_ORIGIN = 'https://app.example';
const EVIL_ORIGIN = 'https://evil.example';
const REFRESH_SECONDS = 30 * 24 * 3600;

let scaffolded: ScaffoldedApp;
let app: RunningApp;
let api: AuthApi;

beforeAll(async () => {
  scaffolded = scaffoldApp('pglite', ['--refresh-cookie']);
  app = await boot(scaffolded, { AUTH_ALLOWED_ORIGINS: ALLOWED_ORIGIN, REFRESH_REUSE_GRACE: '0', AUTH_LOG_EVENTS: 'false' });
  api = new AuthApi(app.url);
}, 120_000);
afterAll(async () => {
  await app?.stop();
  scaffolded?.cleanup();
});

interface RefreshCookie {
  value: string;
  attributes: Map<string, string>;
  raw: string;
}

function refreshCookie(response: HttpResponse): RefreshCookie | undefined {
  const raw = (response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('__Host-rt='));
  if (!raw) return undefined;
  const [pair = '', ...parts] = raw.split(';').map((part) => part.trim());
  const attributes = new Map(parts.map((part) => {
    const [name = '', ...value] = part.split('=');
    return [name.toLowerCase(), value.join('=')] as [string, string];
  }));
  return { value: pair.slice('__Host-rt='.length), attributes, raw };
}

function expectSessionCookie(response: HttpResponse): RefreshCookie {
  const cookie = refreshCookie(response);
  expect(cookie, `Set-Cookie: ${JSON.stringify(response.headers['set-cookie'])}`).toBeDefined();
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  expect(cookie!.attributes.get('path')).toBe('/');
  for (const flag of ['httponly', 'secure']) expect(cookie!.attributes.has(flag)).toBe(true);
  expect(cookie!.attributes.get('samesite')?.toLowerCase()).toBe('strict');
  expect(cookie!.attributes.has('domain')).toBe(false);
  const maxAge = Number(cookie!.attributes.get('max-age'));
  expect(maxAge).toBeGreaterThan(0);
  expect(maxAge).toBeLessThanOrEqual(REFRESH_SECONDS);
  expect(response.body.data.refresh).toBeUndefined();
  expect(response.text).not.toContain(cookie!.value);
  return cookie!;
}

const withCookie = (cookie: RefreshCookie, headers: Record<string, string> = {}) => ({ headers: { cookie: `__Host-rt=${cookie.value}`, ...headers } });

describe('42. refresh token in a __Host- cookie', () => {
  let login: HttpResponse;
  let cookie: RefreshCookie;
  const email = uniqueEmail('cookie');

  beforeAll(async () => {
    await api.post('/register', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } });
    login = await api.post('/login', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } });
  });

  it('the CLI wrote REFRESH_TOKEN_TRANSPORT=cookie and AUTH_ALLOWED_ORIGINS to .env', () => {
    expect(scaffolded.dotenv.REFRESH_TOKEN_TRANSPORT).toBe('cookie');
    expect(scaffolded.dotenv).toHaveProperty('AUTH_ALLOWED_ORIGINS');
  });

  it('login sets __Host-rt; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age ≤ refresh life, and the body carries no refresh token', () => {
    expect(login.status).toBe(200);
    expect(login.body.data.token).toEqual(expect.any(String));
    cookie = expectSessionCookie(login);
  });

  it('register sets the cookie too', async () => {
    const registered = await api.post('/register', { email: uniqueEmail('cookie'), password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } });
    expect(registered.status).toBe(201);
    expectSessionCookie(registered);
  });

  it.each([
    ['Origin: https://evil.example', { origin: EVIL_ORIGIN }],
    ['Origin: null', { origin: 'null' }],
    ['no Origin, no Sec-Fetch-Site', {}],
    ['no Origin, Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['no Origin, Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
  ])('refresh with the cookie and %s → 403 forbidden_origin, the cookie stays valid', async (_name, headers) => {
    const response = await api.post('/refresh', undefined, withCookie(cookie, headers));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ success: false, code: 'forbidden_origin' });
    expect(refreshCookie(response)).toBeUndefined();
  });

  it('refresh with the cookie from the allowed Origin → 200, a new cookie, rotation does not extend Max-Age; the old cookie → 401', async () => {
    const response = await api.post('/refresh', undefined, withCookie(cookie, { origin: ALLOWED_ORIGIN }));
    expect(response.status).toBe(200);
    const next = expectSessionCookie(response);
    expect(next.value).not.toBe(cookie.value);
    expect(Number(next.attributes.get('max-age'))).toBeLessThanOrEqual(Number(cookie.attributes.get('max-age')));
    const replay = await api.post('/refresh', undefined, withCookie(cookie, { origin: ALLOWED_ORIGIN }));
    expect(replay.status).toBe(401);
  });

  it('without Origin, Sec-Fetch-Site: same-origin is accepted', async () => {
    const fresh = expectSessionCookie(await api.post('/login', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } }));
    const response = await api.post('/refresh', undefined, withCookie(fresh, { 'sec-fetch-site': 'same-origin' }));
    expect(response.status).toBe(200);
    expectSessionCookie(response);
  });

  it('a refresh token in the body is not accepted in cookie mode', async () => {
    const fresh = expectSessionCookie(await api.post('/login', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } }));
    const response = await api.post('/refresh', { refreshToken: fresh.value }, { headers: { origin: ALLOWED_ORIGIN } });
    expect([400, 401]).toContain(response.status);
  });

  it('logout from an evil Origin → 403 and the session survives', async () => {
    const fresh = expectSessionCookie(await api.post('/login', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } }));
    const response = await api.post('/logout', undefined, withCookie(fresh, { origin: EVIL_ORIGIN }));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'forbidden_origin' });
    expect((await api.post('/refresh', undefined, withCookie(fresh, { origin: ALLOWED_ORIGIN }))).status).toBe(200);
  });

  it('logout clears the cookie (__Host-rt=; Max-Age=0) and ends the session', async () => {
    const session = await api.post('/login', { email, password: PASSWORD }, { headers: { origin: ALLOWED_ORIGIN } });
    const fresh = expectSessionCookie(session);
    const response = await api.post('/logout', undefined, withCookie(fresh, { origin: ALLOWED_ORIGIN, authorization: `Bearer ${session.body.data.token}` }));
    expect(response.status).toBe(200);
    const cleared = refreshCookie(response);
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes.get('max-age')).toBe('0');
    expect((await api.post('/refresh', undefined, withCookie(fresh, { origin: ALLOWED_ORIGIN }))).status).toBe(401);
  });

  it('change-password answers a fresh cookie and no refresh token in the body', async () => {
    const account = { email: uniqueEmail('cookie-cp'), password: PASSWORD };
    const registered = await api.post('/register', account, { headers: { origin: ALLOWED_ORIGIN } });
    const response = await api.post(
      '/change-password',
      { currentPassword: PASSWORD, newPassword: 'a brand new pass phrase' },
      { token: registered.body.data.token, headers: { origin: ALLOWED_ORIGIN } },
    );
    expect(response.status).toBe(200);
    expectSessionCookie(response);
  });
});

describe('44. AUTH_LOG_EVENTS=false', () => {
  it('silences the security events', async () => {
    await api.post('/login', { email: uniqueEmail('quiet'), password: 'wrong password here' });
    expect(securityEvents(app)).toEqual([]);
  });
});
