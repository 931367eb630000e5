import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCli } from '../../scripts/sandbox.mjs';

/**
 * `--refresh-cookie` is a scaffold-time choice: it lands in .env/.env.example and in the installed manifest,
 * and a later `add` without the flag keeps it (the cookie behaviour itself is in test/security/cookies.test.ts).
 */
describe('backternity add auth-jwt --refresh-cookie', () => {
  let withCookie: ReturnType<typeof makeSandbox>;
  let withoutCookie: ReturnType<typeof makeSandbox>;
  let first: ReturnType<typeof runCli>;
  let plain: ReturnType<typeof runCli>;

  beforeAll(() => {
    withCookie = makeSandbox('js-esm');
    withoutCookie = makeSandbox('js-esm');
    first = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite', '--refresh-cookie'], { cwd: withCookie.dir });
    plain = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'pglite'], { cwd: withoutCookie.dir });
  });
  afterAll(() => {
    withCookie?.cleanup();
    withoutCookie?.cleanup();
  });

  const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  const options = (dir: string) => JSON.parse(read(dir, 'backternity.json')).components['auth-jwt'].options;

  it('writes the cookie transport and an empty origin list, with comments, to .env and .env.example', () => {
    expect(first.code).toBe(0);
    for (const file of ['.env', '.env.example']) {
      const text = read(withCookie.dir, file);
      expect(text).toMatch(/^REFRESH_TOKEN_TRANSPORT=cookie$/m);
      expect(text).toMatch(/^AUTH_ALLOWED_ORIGINS=$/m);
      expect(text).toMatch(/^# Origins allowed .*https:\/\/app\.example\.com.*\nAUTH_ALLOWED_ORIGINS=$/m);
    }
  });

  it('records the choice in the installed manifest', () => {
    expect(options(withCookie.dir)).toEqual({ store: 'pglite', refreshCookie: true });
  });

  it('keeps the choice on a second add without the flag, changing nothing', () => {
    const envBefore = read(withCookie.dir, '.env');
    const again = runCli(['add', 'auth-jwt', '--yes', '--no-install'], { cwd: withCookie.dir });
    expect(again.code).toBe(0);
    expect(options(withCookie.dir)).toEqual({ store: 'pglite', refreshCookie: true });
    expect(read(withCookie.dir, '.env')).toBe(envBefore);
  });

  it('without the flag, writes neither variable and records no cookie option', () => {
    expect(plain.code).toBe(0);
    for (const file of ['.env', '.env.example']) {
      expect(read(withoutCookie.dir, file)).not.toMatch(/REFRESH_TOKEN_TRANSPORT|AUTH_ALLOWED_ORIGINS/);
    }
    expect(options(withoutCookie.dir)).toEqual({ store: 'pglite' });
  });
});
