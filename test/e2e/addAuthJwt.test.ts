import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCli, runScript, snapshotTree, startApp, startExpectingExit, typeCheck } from '../../scripts/sandbox.mjs';

/**
 * The product's promise, end to end: the built CLI scaffolds into a copy of a real Express + TypeScript app,
 * the result compiles under strict with TypeScript 5 and 7, boots as the app's own start script would, and
 * serves the whole auth flow over HTTP on the embedded store.
 */
const FIXTURES = [
  { name: 'ts-esm-nodenext', entry: 'src/server.ts', importSuffix: '.js' },
  { name: 'ts-cjs', entry: 'src/app.ts', importSuffix: '' },
] as const;

const GENERATED = [
  'routes/auth.ts',
  'services/authService.ts',
  'middleware/auth.ts',
  'models/user.ts',
  'models/tokenBlacklist.ts',
  'utils/response.ts',
  'config/auth.ts',
];

describe.each(FIXTURES)('backternity add auth-jwt --db pglite on $name', (fixture) => {
  let sandbox: ReturnType<typeof makeSandbox>;
  let first: ReturnType<typeof runCli>;
  let originalEntry: string;

  beforeAll(() => {
    sandbox = makeSandbox(fixture.name, { folderName: `my app.v2 (${fixture.name})` });
    originalEntry = fs.readFileSync(path.join(sandbox.dir, fixture.entry), 'utf8');
    first = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite'], { cwd: sandbox.dir });
  });
  afterAll(() => sandbox?.cleanup());

  const read = (file: string) => fs.readFileSync(path.join(sandbox.dir, file), 'utf8');

  it('exits 0 and reports every file it created or updated', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const file of GENERATED) expect(first.stdout).toMatch(new RegExp(`create\\s+src/${file.replace('.', '\\.')}`));
    expect(first.stdout).toMatch(new RegExp(`update\\s+${fixture.entry.replace('.', '\\.')}`));
    expect(first.stdout).toMatch(/create\s+\.env\b/);
    expect(first.stdout).toMatch(/Next steps/);
  });

  it('copies the component into the source dir with the import style the app needs', () => {
    for (const file of GENERATED) expect(fs.existsSync(path.join(sandbox.dir, 'src', file)), file).toBe(true);
    const routes = read('src/routes/auth.ts');
    const relativeImports = [...routes.matchAll(/from ['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1] ?? '');
    expect(relativeImports.length).toBeGreaterThan(0);
    for (const specifier of relativeImports) {
      expect(specifier.endsWith('.js')).toBe(fixture.importSuffix === '.js');
    }
  });

  it('patches the entry by adding lines only, mounting before the 404/error handlers', () => {
    const entry = read(fixture.entry);
    expect(entry).toContain('authRouter');
    const mount = entry.search(/app\.use\(['"]\/api\/auth['"], authRouter, authErrorHandler\)/);
    expect(mount).toBeGreaterThan(0);
    const firstTerminal = Math.min(
      ...[/app\.use\(\(_req: Request, res: Response\)/, /app\.use\(errorHandler\)/]
        .map((pattern) => entry.search(pattern))
        .filter((index) => index >= 0),
    );
    expect(mount).toBeLessThan(firstTerminal);
    // Every original line survives, in order.
    const added = entry.split('\n');
    let cursor = 0;
    for (const line of originalEntry.split('\n')) {
      cursor = added.indexOf(line, cursor);
      expect(cursor, `original line kept: ${line}`).toBeGreaterThanOrEqual(0);
      cursor++;
    }
  });

  it('writes .env with a fresh 256+ bit secret, .env.example with placeholders, and ignores .env', () => {
    const env = read('.env');
    const secret = /^JWT_SECRET=([A-Za-z0-9_-]+)$/m.exec(env)?.[1];
    expect(secret).toBeDefined();
    expect(Buffer.from(secret as string, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(env).toMatch(/^JWT_EXPIRES_IN=15m$/m);
    expect(env).toMatch(/^REFRESH_EXPIRES_IN=30d$/m);
    expect(env).toMatch(/^PGLITE_DATA_DIR=/m);
    const example = read('.env.example');
    expect(example).not.toContain(secret);
    expect(example).toMatch(/^JWT_SECRET=CHANGE_ME$/m);
    expect(read('.gitignore').split('\n')).toContain('.env');
    const pkg = JSON.parse(read('package.json'));
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['express', 'jsonwebtoken', 'bcryptjs', '@electric-sql/pglite']));
    expect(pkg.dependencies.express).toBe('^5.1.0');
  });

  it.each(['ts5', 'ts7'] as const)('type-checks under strict with %s', (compiler) => {
    const result = typeCheck(sandbox.dir, compiler);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('changes nothing when run again', () => {
    const snapshot = snapshotTree(sandbox.dir);
    const second = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite'], { cwd: sandbox.dir });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^\s*(create|update)\s/m);
    expect(snapshotTree(sandbox.dir)).toEqual(snapshot);
  });

  it('boots and serves register → login → me → refresh → logout over HTTP', async () => {
    expect(runScript(sandbox.dir, 'build').code).toBe(0);
    // Grace 0: a rotated token fails at once (by default it still works for 10 s, for tabs refreshing together).
    const app = await startApp(sandbox.dir, { env: { BCRYPT_COST: '10', REFRESH_REUSE_GRACE: '0' } });
    try {
      const api = request(app.url);
      const credentials = { email: 'Ada@Example.com', password: 'correct horse battery staple' };

      const registered = await api.post('/api/auth/register').send(credentials);
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({ success: true, data: { user: { email: 'ada@example.com' } } });
      expect(JSON.stringify(registered.body)).not.toMatch(/\$2[aby]\$|passwordHash/);

      const duplicate = await api.post('/api/auth/register').send({ ...credentials, email: 'ADA@example.com' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body).toMatchObject({ success: false, code: 'email_taken' });

      const wrong = await api.post('/api/auth/login').send({ ...credentials, password: 'not the password at all' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ success: false, code: 'invalid_credentials' });

      const login = await api.post('/api/auth/login').send(credentials);
      expect(login.status).toBe(200);
      const { token, refresh } = login.body.data;
      expect(typeof token).toBe('string');
      expect(typeof refresh).toBe('string');

      const me = await api.get('/api/auth/me').set('Authorization', `Bearer ${token}`);
      expect(me.status).toBe(200);
      expect(me.body.data.user.email).toBe('ada@example.com');
      expect(JSON.stringify(me.body)).not.toMatch(/\$2[aby]\$|password/i);

      const anonymous = await api.get('/api/auth/me');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);

      const rotated = await api.post('/api/auth/refresh').send({ refreshToken: refresh });
      expect(rotated.status).toBe(200);
      expect(rotated.body.data.refresh).not.toBe(refresh);
      expect(typeof rotated.body.data.token).toBe('string');

      const reused = await api.post('/api/auth/refresh').send({ refreshToken: refresh });
      expect(reused.status).toBe(401);

      // Reusing a rotated token revoked its family, so log in again for a live session to log out of.
      const session = (await api.post('/api/auth/login').send(credentials)).body.data;
      const logout = await api.post('/api/auth/logout').set('Authorization', `Bearer ${session.token}`).send({ refreshToken: session.refresh });
      expect(logout.status).toBe(200);
      expect(logout.body.success).toBe(true);

      const afterLogout = await api.post('/api/auth/refresh').send({ refreshToken: session.refresh });
      expect(afterLogout.status).toBe(401);

      // Malformed JSON is a JSON 400 from the auth routes, even when the app's own parser read it first.
      const malformed = await api.post('/api/auth/login').set('Content-Type', 'application/json').send('{"email":');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ success: false, code: 'invalid_request' });
      expect(malformed.text).not.toMatch(/SyntaxError|\bat /);

      // The app's own routes still work, and the app keeps its own 404.
      expect((await api.get('/health')).status).toBe(200);
      expect((await api.get('/nope')).status).toBe(404);

      // A second process on the same PGlite directory (another instance, a cluster worker) would corrupt it:
      // it stops at start-up and says why, and the first one keeps serving.
      const second = await startExpectingExit(sandbox.dir, { BCRYPT_COST: '10' });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/PGLITE_DATA_DIR \(process \d+ has it open; PGlite allows one process per directory/);
      expect((await api.get('/api/auth/me').set('Authorization', `Bearer ${session.token}`)).status).toBe(401);
      expect((await api.post('/api/auth/login').send(credentials)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});

