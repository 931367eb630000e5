import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { formatEnvValue, generateJwtSecret, patchEnv, redactEnv, type EnvEntry } from '../../src/patch/env.js';

const SECRET: EnvEntry = { key: 'JWT_SECRET', value: 's3cret', comment: 'HMAC key' };
const TTL: EnvEntry = { key: 'JWT_TTL', value: '15m' };

describe('patchEnv: new and appended keys', () => {
  it('creates a new file from an empty source, LF, with header and comments', () => {
    const result = patchEnv('', [SECRET, TTL], { header: 'auth-jwt' });
    expect(result.source).toBe('# auth-jwt\n# HMAC key\nJWT_SECRET=s3cret\nJWT_TTL=15m\n');
    expect(result).toMatchObject({ added: ['JWT_SECRET', 'JWT_TTL'], filled: [], kept: [] });
  });

  it('appends missing keys after a blank line, keeping the existing bytes as they were', () => {
    const source = '# app\nPORT=3000\n\nexport DB_URL="postgres://x"\n';
    const result = patchEnv(source, [TTL]);
    expect(result.source).toBe(`${source}\nJWT_TTL=15m\n`);
    expect(result.added).toEqual(['JWT_TTL']);
  });

  it('adds the missing final newline before appending, so the last line is not glued', () => {
    expect(patchEnv('PORT=3000', [TTL]).source).toBe('PORT=3000\n\nJWT_TTL=15m\n');
  });

  it('does not add a second blank line when the file already ends with one', () => {
    expect(patchEnv('PORT=3000\n\n', [TTL]).source).toBe('PORT=3000\n\nJWT_TTL=15m\n');
  });

  it('keeps CRLF files CRLF (with and without a final newline)', () => {
    expect(patchEnv('A=1\r\nB=2\r\n', [TTL], { header: 'h' }).source).toBe('A=1\r\nB=2\r\n\r\n# h\r\nJWT_TTL=15m\r\n');
    expect(patchEnv('A=1\r\nB=2', [TTL]).source).toBe('A=1\r\nB=2\r\n\r\nJWT_TTL=15m\r\n');
  });

  it('follows the first line ending of a mixed file', () => {
    expect(patchEnv('A=1\r\nB=2\nC=3\n', [TTL]).source).toBe('A=1\r\nB=2\nC=3\n\r\nJWT_TTL=15m\r\n');
    expect(patchEnv('A=1\nB=2\r\n', [TTL]).source).toBe('A=1\nB=2\r\n\nJWT_TTL=15m\n');
  });

  it('quotes values that need it, so dotenv reads them back exactly', () => {
    const result = patchEnv('', [
      { key: 'SPACED', value: 'a b' },
      { key: 'HASH', value: 'x#y' },
      { key: 'MULTI', value: 'line1\nline2' },
      { key: 'DQ', value: 'say "hi"' },
    ]);
    expect(result.source).toBe('SPACED="a b"\nHASH="x#y"\nMULTI="line1\\nline2"\nDQ=\'say "hi"\'\n');
    expect(parse(result.source)).toEqual({ SPACED: 'a b', HASH: 'x#y', MULTI: 'line1\nline2', DQ: 'say "hi"' });
  });

  it('writes a key listed twice in the entries only once (first wins)', () => {
    const result = patchEnv('', [TTL, { key: 'JWT_TTL', value: '1h' }]);
    expect(result.source).toBe('JWT_TTL=15m\n');
    expect(result.added).toEqual(['JWT_TTL']);
  });

  it('rejects a key dotenv could not read', () => {
    expect(() => patchEnv('', [{ key: 'BAD KEY', value: 'x' }])).toThrow(/Invalid \.env key/);
  });

  it('does not mistake a KEY= line inside a multi-line quoted value for a definition', () => {
    const source = 'PRIVATE_KEY="-----BEGIN\nJWT_SECRET=\n-----END"\n';
    const result = patchEnv(source, [SECRET]);
    expect(result.added).toEqual(['JWT_SECRET']);
    expect(result.source.startsWith(source)).toBe(true);
    expect(parse(result.source)).toEqual({ PRIVATE_KEY: '-----BEGIN\nJWT_SECRET=\n-----END', JWT_SECRET: 's3cret' });
  });
});

describe('patchEnv: keys already present', () => {
  it.each([
    ['unquoted', 'JWT_SECRET=mine\n'],
    ['double-quoted', 'JWT_SECRET="my secret" # keep\n'],
    ['single-quoted', "JWT_SECRET='my#secret'\n"],
    ['export prefix', 'export JWT_SECRET=mine\n'],
    ['CRLF, no final newline', '# c\r\nJWT_SECRET=mine'],
  ])('never changes a key that has a value (%s): same string back', (_name, source) => {
    const result = patchEnv(source, [SECRET]);
    expect(result.source).toBe(source);
    expect(result).toMatchObject({ added: [], filled: [], kept: ['JWT_SECRET'] });
  });

  it.each([
    ['KEY=', 'JWT_SECRET=\n', 'JWT_SECRET=s3cret\n'],
    ['export KEY=', 'export JWT_SECRET=\n', 'export JWT_SECRET=s3cret\n'],
    ['KEY="" keeps double quotes', 'JWT_SECRET=""\n', 'JWT_SECRET="s3cret"\n'],
    ["KEY='' keeps single quotes", "JWT_SECRET=''\n", "JWT_SECRET='s3cret'\n"],
    ['trailing comment kept', 'JWT_SECRET=   # set me\n', 'JWT_SECRET=s3cret   # set me\n'],
    ['quoted with comment', 'JWT_SECRET="" # set me\n', 'JWT_SECRET="s3cret" # set me\n'],
    ['spaces around =', 'JWT_SECRET = \n', 'JWT_SECRET = s3cret\n'],
    ['comment right after =', 'JWT_SECRET=#todo\n', 'JWT_SECRET=s3cret #todo\n'],
    ['CRLF, no final newline', 'A=1\r\nJWT_SECRET=', 'A=1\r\nJWT_SECRET=s3cret'],
  ])('fills an empty value on its own line (%s)', (_name, source, expected) => {
    const result = patchEnv(source, [SECRET]);
    expect(result.source).toBe(expected);
    expect(result).toMatchObject({ added: [], filled: ['JWT_SECRET'], kept: [] });
    expect(parse(result.source).JWT_SECRET).toBe('s3cret');
  });

  it('fills an empty pair of quotes with a value that needs other quoting correctly', () => {
    const result = patchEnv("A=''\nB=\"\"\n", [
      { key: 'A', value: "it's" },
      { key: 'B', value: 'x "y"' },
    ]);
    expect(parse(result.source)).toEqual({ A: "it's", B: 'x "y"' });
  });

  it('keeps comments, blank lines and order around a filled key', () => {
    const source = '# top\n\nPORT=3000\n# the secret\nJWT_SECRET=\n\n# end\n';
    expect(patchEnv(source, [SECRET]).source).toBe('# top\n\nPORT=3000\n# the secret\nJWT_SECRET=s3cret\n\n# end\n');
  });

  it('a repeated key with a value anywhere is kept, and none of its lines is touched', () => {
    for (const source of ['JWT_SECRET=\nJWT_SECRET=mine\n', 'JWT_SECRET=mine\nJWT_SECRET=\n']) {
      const result = patchEnv(source, [SECRET]);
      expect(result.source).toBe(source);
      expect(result.kept).toEqual(['JWT_SECRET']);
    }
  });

  it('a repeated key that is empty everywhere is filled on its last line (the one dotenv uses)', () => {
    const result = patchEnv('JWT_SECRET=\nA=1\nJWT_SECRET=\n', [SECRET]);
    expect(result.source).toBe('JWT_SECRET=\nA=1\nJWT_SECRET=s3cret\n');
    expect(parse(result.source).JWT_SECRET).toBe('s3cret');
  });

  it('fills and appends in one pass', () => {
    const result = patchEnv('JWT_SECRET=\n', [SECRET, TTL], { header: 'auth' });
    expect(result.source).toBe('JWT_SECRET=s3cret\n\n# auth\nJWT_TTL=15m\n');
    expect(result).toMatchObject({ added: ['JWT_TTL'], filled: ['JWT_SECRET'], kept: [] });
  });
});

describe('patchEnv: idempotence', () => {
  const inputs = [
    '',
    'PORT=3000',
    'PORT=3000\n',
    'PORT=3000\r\n# c\r\n',
    'PORT=3000\r\nJWT_SECRET=',
    "export JWT_SECRET=''\n",
    'JWT_SECRET=   # later\nJWT_SECRET=\n',
  ];
  it.each(inputs)('running twice gives byte-identical output (%j)', (source) => {
    const entries = [SECRET, TTL, { key: 'NOTE', value: 'has spaces # and hash' }];
    const once = patchEnv(source, entries, { header: 'auth' });
    const twice = patchEnv(once.source, entries, { header: 'auth' });
    expect(twice.source).toBe(once.source);
    expect(twice).toMatchObject({ added: [], filled: [] });
    expect(twice.kept).toEqual(['JWT_SECRET', 'JWT_TTL', 'NOTE']);
  });

  it('returns the very same string when nothing changes', () => {
    const source = 'JWT_SECRET=mine\r\nJWT_TTL=1h\r\n';
    expect(patchEnv(source, [SECRET, TTL]).source).toBe(source);
    expect(patchEnv(source, []).source).toBe(source);
  });

  it('does not report an empty default as filled', () => {
    const result = patchEnv('OPTIONAL=\n', [{ key: 'OPTIONAL', value: '' }]);
    expect(result.source).toBe('OPTIONAL=\n');
    expect(result).toMatchObject({ added: [], filled: [], kept: ['OPTIONAL'] });
  });
});

describe('formatEnvValue', () => {
  it.each([
    'plain',
    'with space',
    ' padded ',
    'hash # inside',
    'multi\nline',
    'cr\r\nlf',
    'say "hi"',
    "it's",
    `both ' and "`,
    'back\\slash',
    'ends with \\',
    'dollar $HOME',
    `quotes ' " and\na newline`,
    '',
  ])('round-trips through dotenv.parse: %j', (value) => {
    expect(parse(`K=${formatEnvValue(value)}`).K).toBe(value);
  });

  it('refuses a value no dotenv quoting can hold, instead of writing a wrong one', () => {
    expect(() => formatEnvValue('\' " ` \n')).toThrow(/cannot be written/);
  });

  it('leaves plain values unquoted', () => {
    expect(formatEnvValue('postgres://u@h:5432/db')).toBe('postgres://u@h:5432/db');
  });
});

describe('generateJwtSecret', () => {
  it('is 384 random bits in base64url, safe to write unquoted', () => {
    const secret = generateJwtSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(48);
    expect(formatEnvValue(secret)).toBe(secret);
    expect(generateJwtSecret()).not.toBe(secret);
  });
});

describe('redactEnv', () => {
  it('replaces every value, multi-line quoted ones whole, and keeps keys, comments and layout', () => {
    const source = [
      '# database',
      'DATABASE_URL=postgres://u:pw@host/db # prod',
      'export TOKEN = "abc"',
      'EMPTY=',
      'PRIVATE_KEY="-----BEGIN KEY-----',
      'SECRETLINE1',
      'SECRETLINE2',
      '-----END KEY-----"',
      "SINGLE='x y'",
      'YAML_STYLE: value',
      '',
    ].join('\r\n');
    const redacted = redactEnv(source);
    expect(redacted).toBe(
      [
        '# database',
        'DATABASE_URL=<redacted> # prod',
        'export TOKEN = <redacted>',
        'EMPTY=',
        'PRIVATE_KEY=<redacted>',
        'SINGLE=<redacted>',
        'YAML_STYLE: <redacted>',
        '',
      ].join('\r\n'),
    );
    expect(Object.keys(parse(redacted))).toEqual(Object.keys(parse(source)));
  });
});
