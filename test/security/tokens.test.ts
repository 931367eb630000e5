import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExpectingExit } from '../../scripts/sandbox.mjs';
import {
  AuthApi,
  boot,
  decodeToken,
  forge,
  forgeUnsigned,
  keyId,
  nowSeconds,
  parseDotenv,
  randomSecret,
  scaffoldApp,
  send,
  type Account,
  type HttpResponse,
  type RunningApp,
  type ScaffoldedApp,
} from './harness.js';

/**
 * Checklist A1 (token algorithms and claims, items 1–9), A2 (secret handling, 10–11) and items 38–39 (RFC 6750
 * challenges, no tokens in URLs), attacked over HTTP on a scaffolded PGlite app. One app runs with a previous
 * key in its grace period; a second boot (new openssl-style secret, the first one as an expired previous key,
 * digits-only JWT_EXPIRES_IN) covers rotation after the grace period and the settings that must boot.
 */
const PREVIOUS_SECRET = randomSecret();

let scaffolded: ScaffoldedApp;
let app: RunningApp;
let api: AuthApi;
let account: Account;
/** The claims and header of a real access token, the base every forgery starts from. */
let claims: Record<string, unknown>;
let header: { alg: 'HS256'; kid?: string; typ?: string };
/** What a token that fails verification gets: the "Same-401" every forgery must match. */
let same401: HttpResponse;

beforeAll(async () => {
  scaffolded = scaffoldApp('pglite');
  app = await boot(scaffolded, {
    JWT_SECRET_PREVIOUS: PREVIOUS_SECRET,
    JWT_SECRET_PREVIOUS_EXPIRES_AT: new Date(Date.now() + 15 * 60_000).toISOString(),
    NODE_ENV: 'development',
  });
  api = new AuthApi(app.url);
  account = await api.signUp();
  const decoded = decodeToken(account.session.token);
  claims = decoded.payload as Record<string, unknown>;
  header = { alg: 'HS256', kid: decoded.header.kid, typ: decoded.header.typ };
  same401 = await api.me(`${account.session.token.slice(0, -6)}AAAAAA`);
}, 120_000);
afterAll(async () => {
  await app?.stop();
  scaffolded?.cleanup();
});

/** A copy of the real token's claims with a fresh expiry, changed by `changes` (undefined removes a claim). */
function claimsWith(changes: Record<string, unknown> = {}): Record<string, unknown> {
  const result: Record<string, unknown> = { ...claims, iat: nowSeconds(), exp: nowSeconds() + 600, ...changes };
  for (const [key, value] of Object.entries(result)) if (value === undefined) delete result[key];
  return result;
}

function expectSame401(response: HttpResponse): void {
  expect(response.status).toBe(401);
  expect(response.body).toEqual(same401.body);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer\b.*error="invalid_token"/);
}

describe('the reference forgery', () => {
  it('the failing baseline is the invalid_token envelope', () => {
    expect(same401.status).toBe(401);
    expect(same401.body).toMatchObject({ success: false, code: 'invalid_token' });
  });

  it('a token re-signed by the tester with the real key and claims is accepted (so the forgeries below test the app, not the forger)', async () => {
    const response = await api.me(forge(claimsWith(), scaffolded.secret, header));
    expect(response.status).toBe(200);
    expect(response.body.data.user.email).toBe(account.email);
  });
});

describe('1. one pinned algorithm', () => {
  it.each(['none', 'None', 'NONE'])('alg=%s with an empty signature → Same-401', async (alg) => {
    expectSame401(await api.me(forgeUnsigned(claimsWith(), alg, header.kid)));
  });

  it('HS512 with JWT_SECRET → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith(), scaffolded.secret, { ...header, alg: 'HS512' })));
  });

  it('RS256 with the attacker’s key → Same-401, no 500', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectSame401(await api.me(forge(claimsWith(), privateKey, { ...header, alg: 'RS256' })));
  });
});

describe('2. signature verified before any claim is used', () => {
  it('one payload change (role re-encoded as admin) with the original signature → Same-401', async () => {
    const [head, , signature] = account.session.token.split('.');
    const tampered = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expectSame401(await api.me(`${head}.${tampered}.${signature}`));
  });

  it('one signature character changed → Same-401', async () => {
    const [head, body, signature = ''] = account.session.token.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expectSame401(await api.me(`${head}.${body}.${flipped}`));
  });
});

describe('3. exp is mandatory and enforced', () => {
  it('a correctly signed token without exp → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ exp: undefined }), scaffolded.secret, header)));
  });

  it('exp two minutes ago → 401 invalid_token challenge (code invalid_token or token_expired)', async () => {
    const response = await api.me(forge(claimsWith({ iat: nowSeconds() - 1000, exp: nowSeconds() - 120 }), scaffolded.secret, header));
    expect(response.status).toBe(401);
    expect(['invalid_token', 'token_expired']).toContain(response.body?.code);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('an issued access token lives exactly JWT_EXPIRES_IN (15m = 900 s)', () => {
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect(account.session.expiresIn).toBe(900);
  });
});

describe('hardening beyond the checklist: headers and claims no token of ours has', () => {
  it('a crit header (extensions the verifier must understand, RFC 7515 §4.1.11) → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith(), scaffolded.secret, { ...header, crit: ['b64'], b64: false })));
  });

  it('no iat (every token we sign has one) → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ iat: undefined }), scaffolded.secret, header)));
  });

  it('iat five minutes in the future → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ iat: nowSeconds() + 300, exp: nowSeconds() + 900 }), scaffolded.secret, header)));
  });

  it('a lifetime longer than JWT_EXPIRES_IN (ten years) → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ exp: nowSeconds() + 10 * 365 * 86_400 }), scaffolded.secret, header)));
  });
});

describe('4. clock tolerance at most 60 s', () => {
  it('exp 65 s ago → 401', async () => {
    const response = await api.me(forge(claimsWith({ exp: nowSeconds() - 65 }), scaffolded.secret, header));
    expect(response.status).toBe(401);
  });

  it('nbf five minutes ahead → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ nbf: nowSeconds() + 300 }), scaffolded.secret, header)));
  });
});

describe('5. iss and aud issued and validated', () => {
  it('the issued token carries iss and aud', () => {
    expect(typeof claims.iss).toBe('string');
    expect(claims.aud).toBeTruthy();
  });

  it.each([
    ['iss: "other"', { iss: 'other' }],
    ['no aud', { aud: undefined }],
    ['aud: "other-api"', { aud: 'other-api' }],
    ['no iss', { iss: undefined }],
  ])('%s → Same-401', async (_name, changes) => {
    expectSame401(await api.me(forge(claimsWith(changes), scaffolded.secret, header)));
  });
});

describe('6. access and refresh tokens are not interchangeable', () => {
  it('the refresh token is opaque, not a JWT', () => {
    expect(account.session.refresh.split('.')).toHaveLength(1);
  });

  it('Bearer <refresh token> on /me → Same-401', async () => {
    expectSame401(await api.me(account.session.refresh));
  });

  it('the access token as refreshToken → 401', async () => {
    const response = await api.refresh(account.session.token);
    expect(response.status).toBe(401);
  });

  it('a correctly signed token with typ JWT and no token_use → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ token_use: undefined }), scaffolded.secret, { ...header, typ: 'JWT' })));
  });

  it('a correctly signed token with another token_use → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ token_use: 'refresh' }), scaffolded.secret, header)));
  });
});

describe('7. sub must map to a live user of the current token version', () => {
  it('a correctly signed token for an unknown sub → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ sub: '00000000-0000-4000-8000-000000000000' }), scaffolded.secret, header)));
  });

  it('a correctly signed token with a stale token version → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith({ tv: Number(claims.tv) + 1 }), scaffolded.secret, header)));
  });
  // Deleting the user in the database: test/security/storeSuite.ts (both stores).
});

describe('8. kid selects from the server-side key map only', () => {
  it('kid is the first 16 hex characters of SHA-256(JWT_SECRET)', () => {
    expect(header.kid).toBe(keyId(scaffolded.secret));
  });

  it('a token signed with JWT_SECRET_PREVIOUS under its kid → 200 during the grace period', async () => {
    const old = forge(claimsWith(), PREVIOUS_SECRET, { ...header, kid: keyId(PREVIOUS_SECRET) });
    expect((await api.me(old)).status).toBe(200);
  });

  it('the previous key under the current key’s kid → Same-401 (kid picks exactly one key)', async () => {
    expectSame401(await api.me(forge(claimsWith(), PREVIOUS_SECRET, { ...header, kid: keyId(scaffolded.secret) })));
  });

  it.each(['../../dev/null', "' OR 1=1--", 'deadbeefdeadbeef', ''])('kid %j with the current key → Same-401, no 500', async (kid) => {
    expectSame401(await api.me(forge(claimsWith(), scaffolded.secret, { ...header, kid })));
  });

  it('no kid at all → Same-401', async () => {
    expectSame401(await api.me(forge(claimsWith(), scaffolded.secret, { alg: 'HS256' })));
  });

  it('an attacker key embedded in jwk / pointed at by jku / x5u → Same-401', async () => {
    const attackerSecret = randomSecret();
    const k = Buffer.from(attackerSecret).toString('base64url');
    const attacker = { alg: 'HS256' as const, kid: keyId(attackerSecret) };
    expectSame401(await api.me(forge(claimsWith(), attackerSecret, { ...attacker, jwk: { kty: 'oct', k } })));
    expectSame401(await api.me(forge(claimsWith(), attackerSecret, { ...attacker, jku: 'https://evil.example/jwks.json' })));
    expectSame401(await api.me(forge(claimsWith(), attackerSecret, { ...header, jwk: { kty: 'oct', k } })));
    expectSame401(await api.me(forge(claimsWith(), attackerSecret, { ...header, x5u: 'https://evil.example/cert.pem' })));
  });
});

describe('9. minimal payload', () => {
  it('the access token holds only sub, iat, exp, nbf, iss, aud, jti, token_use/typ, tv and role', () => {
    const allowed = new Set(['sub', 'iat', 'exp', 'nbf', 'iss', 'aud', 'jti', 'token_use', 'typ', 'tv', 'role']);
    expect(Object.keys(claims).filter((key) => !allowed.has(key))).toEqual([]);
    const text = JSON.stringify(claims);
    expect(text).not.toContain(account.email);
    expect(text).not.toMatch(/\$2[aby]\$|password|hash/i);
  });
});

describe('38. RFC 6750 challenges', () => {
  it('no credentials → 401 with WWW-Authenticate: Bearer realm="api" and no error', async () => {
    const response = await api.get('/me');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(response.body).toMatchObject({ success: false });
  });

  it('an expired token → 401 with error="invalid_token"', async () => {
    const expired = forge(claimsWith({ iat: nowSeconds() - 2000, exp: nowSeconds() - 1000 }), scaffolded.secret, header);
    const response = await api.me(expired);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('lower-case "bearer" scheme → 200', async () => {
    const response = await api.get('/me', { headers: { authorization: `bearer ${account.session.token}` } });
    expect(response.status).toBe(200);
  });

  it('a revoked token (after logout) → 401 with error="invalid_token"', async () => {
    const other = await api.signUp();
    const logout = await api.post('/logout', { refreshToken: other.session.refresh }, { token: other.session.token });
    expect(logout.status).toBe(200);
    const response = await api.me(other.session.token);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('a role failure → 403 insufficient_role with error="insufficient_scope"', async () => {
    // The probe route the harness adds to the app: validateAuth, requireRole('admin').
    const root = await fetchRoot('/admin-only', account.session.token);
    expect(root.status).toBe(403);
    expect(root.body).toMatchObject({ success: false, code: 'insufficient_role' });
    expect(root.headers['www-authenticate']).toMatch(/^Bearer\b.*error="insufficient_scope"/);
  });

  it('the role guard without a token → 401 Bearer realm="api"', async () => {
    const root = await fetchRoot('/admin-only');
    expect(root.status).toBe(401);
    expect(root.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('a token in both the header and the body → 400 invalid_request, and the session survives', async () => {
    const other = await api.signUp();
    const response = await api.post('/logout-all', { access_token: other.session.token }, { token: other.session.token });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 'invalid_request' });
    expect((await api.me(other.session.token)).status).toBe(200);
  });
});

describe('39. tokens never travel in URLs', () => {
  it('GET /me?access_token=<AT> without a header → 401', async () => {
    const response = await api.get(`/me?access_token=${account.session.token}`);
    expect(response.status).toBe(401);
  });

  it('POST /refresh?refreshToken=<RT> with an empty body → 400', async () => {
    const other = await api.signUp();
    const response = await api.post(`/refresh?refreshToken=${other.session.refresh}`, {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 'invalid_request' });
  });
});

describe('10. start-up refuses a weak, missing or placeholder JWT_SECRET', () => {
  const example = () => parseDotenv(fs.readFileSync(path.join(scaffolded.dir, '.env.example'), 'utf8')).JWT_SECRET ?? '';
  // The reason the message gives, so a user knows whether to lengthen the value or replace it.
  const cases: Array<[string, () => string, RegExp]> = [
    ['missing (empty)', () => '', /JWT_SECRET is required/],
    ['short (31 bytes)', () => randomBytes(24).toString('base64').slice(0, 31), /at least 32 bytes/],
    ['"secret"', () => 'secret', /at least 32 bytes/],
    ['"changeme"', () => 'changeme', /placeholder/],
    ['"your_jwt_secret" padded to 40 bytes', () => 'your_jwt_secret_your_jwt_secret_1234567', /placeholder/],
    ['"your-secret-key" padded to 40 bytes', () => 'your-secret-key-your-secret-key-12345678', /placeholder/],
    ['the .env.example value', example, /placeholder/],
    ['low entropy (48 × "a")', () => 'a'.repeat(48), /too predictable/],
    ['low entropy ("abcd" × 12)', () => 'abcd'.repeat(12), /too predictable/],
  ];

  it.each(cases)('%s → exits ≠ 0 within 5 s before listening, naming JWT_SECRET but not the value', async (_name, value, reason) => {
    const secret = value();
    const result = await startExpectingExit(scaffolded.dir, { BCRYPT_COST: '10', JWT_SECRET: secret });
    expect(result.code).not.toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(5000);
    expect(result.stdout).not.toMatch(/listening/);
    expect(result.stderr).toMatch(/JWT_SECRET/);
    expect(result.stderr).toMatch(reason);
    if (secret.length >= 8) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  });

  it.each([
    ['JWT_EXPIRES_IN', '15 minutes'],
    ['JWT_EXPIRES_IN', 'abc'],
    ['JWT_EXPIRES_IN', '0'],
    ['REFRESH_EXPIRES_IN', '-1'],
    ['REFRESH_EXPIRES_IN', '30x'],
    // Values that parse but would break something quietly: a date past year 275760, a timer past 24.8 days.
    ['REFRESH_EXPIRES_IN', '999999999d'],
    ['RATE_LIMIT_WINDOW', '30d'],
    ['REFRESH_REUSE_GRACE', '1d'],
    // A previous key needs an expiry no later than one access token lifetime from now, so restarts cannot extend it.
    ['JWT_SECRET_PREVIOUS_EXPIRES_AT', ''],
    ['JWT_SECRET_PREVIOUS_EXPIRES_AT', new Date(Date.now() + 3 * 86_400_000).toISOString()],
  ])('malformed %s=%j → exits ≠ 0 within 5 s, naming the variable', async (name, value) => {
    const previous: Record<string, string> = name.startsWith('JWT_SECRET_PREVIOUS') ? { JWT_SECRET_PREVIOUS: PREVIOUS_SECRET } : {};
    const result = await startExpectingExit(scaffolded.dir, { BCRYPT_COST: '10', ...previous, [name]: value });
    expect(result.code).not.toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(5000);
    expect(result.stdout).not.toMatch(/listening/);
    expect(result.stderr).toContain(name);
  });
});

describe('11. the secret is never logged, echoed or committed', () => {
  it('neither the secret nor the previous secret appears in the app’s output after failed verifications', async () => {
    await api.me(forge(claimsWith(), 'x'.repeat(40), header));
    await api.me('not.a.jwt');
    expect(app.output()).not.toContain(scaffolded.secret);
    expect(app.output()).not.toContain(PREVIOUS_SECRET);
  });

  it('.env is git-ignored and .env.example holds a placeholder', () => {
    const ignored = fs.readFileSync(path.join(scaffolded.dir, '.gitignore'), 'utf8').split(/\r?\n/);
    expect(ignored).toContain('.env');
    const example = parseDotenv(fs.readFileSync(path.join(scaffolded.dir, '.env.example'), 'utf8'));
    expect(example.JWT_SECRET).toBeDefined();
    expect(example.JWT_SECRET).not.toBe(scaffolded.secret);
    // That the placeholder is refused at start-up is one of the item-10 cases above.
  });
});

describe('after rotation: a new openssl-style secret, the old one as JWT_SECRET_PREVIOUS past its expiry', () => {
  const NEW_SECRET = randomSecret();
  let rotated: RunningApp;
  let rotatedApi: AuthApi;

  beforeAll(async () => {
    await app.stop(); // PGlite is single-process: one app per data directory
    rotated = await boot(scaffolded, {
      JWT_SECRET: NEW_SECRET,
      JWT_SECRET_PREVIOUS: scaffolded.secret,
      JWT_SECRET_PREVIOUS_EXPIRES_AT: new Date(Date.now() - 60_000).toISOString(),
      JWT_EXPIRES_IN: '900',
    });
    rotatedApi = new AuthApi(rotated.url);
  }, 60_000);
  afterAll(() => rotated?.stop());

  it('10. boots with a secret in `openssl rand -base64 48` form', async () => {
    expect((await rotatedApi.get('/me')).status).toBe(401);
  });

  it('8. a token of the previous key → Same-401 once JWT_SECRET_PREVIOUS_EXPIRES_AT has passed', async () => {
    const response = await rotatedApi.me(account.session.token);
    expect(response.status).toBe(401);
    expect(response.body).toEqual(same401.body);
  });

  it('8. tokens of the new key carry its kid and work', async () => {
    const session = await rotatedApi.signIn(account);
    expect(decodeToken(session.token).header.kid).toBe(keyId(NEW_SECRET));
    expect((await rotatedApi.me(session.token)).status).toBe(200);
  });

  it('3. digits-only JWT_EXPIRES_IN means seconds', async () => {
    const session = await rotatedApi.signIn(account);
    const { payload } = decodeToken(session.token);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
  });

  it('11. the new and old secrets never appear in the output', () => {
    expect(rotated.output()).not.toContain(NEW_SECRET);
    expect(rotated.output()).not.toContain(scaffolded.secret);
  });
});

/** A request to the app root (outside /api/auth). */
function fetchRoot(route: string, token?: string): Promise<HttpResponse> {
  return send(app.url, 'GET', route, token ? { token } : {});
}
