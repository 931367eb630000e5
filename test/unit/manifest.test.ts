import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { basePath, parseManifest, sameManifest, serializeManifest, type InstalledManifest } from '../../src/manifest/manifest.js';

const record = (): InstalledManifest => ({
  format: 1,
  components: {
    'auth-jwt': {
      gitignore: ['.env'],
      devDependencies: {},
      dependencies: { zod: '^4.1.0', bcryptjs: '^3.0.3' },
      env: { '.env': ['JWT_SECRET'], '.env.example': ['JWT_SECRET'] },
      files: { 'src/z.ts': { sha256: 'b' }, 'src/a.ts': { sha256: 'a' } },
      options: { store: 'pglite' },
      templates: 'abc',
      version: '0.1.0',
    },
  },
});

describe('installed-manifest', () => {
  it('serializes with fields in reading order, maps sorted, two spaces and a final newline', () => {
    const text = serializeManifest(record());
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "format": 1,');
    const component = Object.keys(JSON.parse(text).components['auth-jwt']);
    expect(component).toEqual(['version', 'templates', 'options', 'files', 'env', 'dependencies', 'devDependencies', 'gitignore']);
    expect(Object.keys(JSON.parse(text).components['auth-jwt'].files)).toEqual(['src/a.ts', 'src/z.ts']);
    expect(Object.keys(JSON.parse(text).components['auth-jwt'].dependencies)).toEqual(['bcryptjs', 'zod']);
  });

  it('gives the same bytes for the same record, whatever the key order it was built in', () => {
    const reverse = (value: unknown): unknown =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reverse(item)]))
        : value;
    const shuffled = reverse(record()) as InstalledManifest;
    expect(Object.keys(shuffled)).toEqual(['components', 'format']);
    expect(serializeManifest(shuffled)).toBe(serializeManifest(record()));
    expect(serializeManifest(parseManifest(serializeManifest(record())))).toBe(serializeManifest(record()));
  });

  it('treats a CRLF checkout of the same record as the same manifest', () => {
    expect(sameManifest(serializeManifest(record()).replace(/\n/g, '\r\n'), record())).toBe(true);
    expect(sameManifest(undefined, record())).toBe(false);
  });

  it('rejects invalid JSON, a foreign file and a newer format with a hint', () => {
    for (const text of ['{', '[]', '{"format": 99, "components": {}}']) {
      try {
        parseManifest(text);
        throw new Error('expected a CliError');
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        expect((error as CliError).hint).toBeTruthy();
      }
    }
  });

  it('stores bases under .backternity/base with a .base suffix that keeps tools off them', () => {
    expect(basePath('/app', 'auth-jwt', 'src/routes/auth.ts')).toBe('/app/.backternity/base/auth-jwt/src/routes/auth.ts.base');
  });
});
