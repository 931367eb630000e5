import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { patchGitignore } from '../../src/patch/gitignore.js';

const PATHS = ['.env', '.data/'];

/** What git would decide for `path` with the patched file (via the same gitignore engine). */
function isIgnored(source: string, path: string): boolean {
  return ignore({ ignorecase: false }).add(source).ignores(path);
}

describe('patchGitignore: creating and appending', () => {
  it('creates the file when there is none (undefined) or it is empty', () => {
    expect(patchGitignore(undefined, PATHS)).toEqual({ source: '.env\n.data/\n', added: PATHS });
    expect(patchGitignore('', PATHS, { header: 'backternity' })).toEqual({ source: '# backternity\n.env\n.data/\n', added: PATHS });
  });

  it('appends only the paths not yet covered, after a blank line, keeping comments and order', () => {
    const source = '# deps\nnode_modules/\n\n# local data\n.data\n';
    const result = patchGitignore(source, PATHS, { header: 'auth' });
    expect(result).toEqual({ source: `${source}\n# auth\n.env\n`, added: ['.env'] });
  });

  it('adds the missing final newline first', () => {
    expect(patchGitignore('node_modules', PATHS).source).toBe('node_modules\n\n.env\n.data/\n');
  });

  it('keeps CRLF files CRLF, with and without a final newline', () => {
    expect(patchGitignore('node_modules\r\ndist\r\n', ['.env']).source).toBe('node_modules\r\ndist\r\n\r\n.env\r\n');
    expect(patchGitignore('node_modules\r\ndist', ['.env']).source).toBe('node_modules\r\ndist\r\n\r\n.env\r\n');
  });

  it('lists a path given twice once', () => {
    expect(patchGitignore(undefined, ['.env', '.env', './.env'])).toEqual({ source: '.env\n', added: ['.env'] });
  });

  it('escapes a leading # or ! so the line is a path, not a comment or negation', () => {
    const result = patchGitignore('', ['#notes', '!important']);
    expect(result.source).toBe('\\#notes\n\\!important\n');
    expect(isIgnored(result.source, '#notes')).toBe(true);
    expect(isIgnored(result.source, '!important')).toBe(true);
  });

  it('refuses a path outside the project', () => {
    expect(() => patchGitignore('', ['../secrets'])).toThrow(/path inside the project/);
    expect(() => patchGitignore('', [''])).toThrow(/path inside the project/);
  });
});

describe('patchGitignore: coverage decided by gitignore rules', () => {
  it.each([
    ['exact', '.env\n'],
    ['anchored', '/.env\n'],
    ['prefix glob', '.env*\n'],
    ['suffix glob', '*.env\n'],
    ['any depth', '**/.env\n'],
    ['CRLF, no final newline', 'dist\r\n.env*'],
    ['with a later unrelated negation', '.env*\n!.env.example\n'],
  ])('.env already covered (%s): same string back, nothing added', (_name, source) => {
    const result = patchGitignore(source, ['.env']);
    expect(result.source).toBe(source);
    expect(result.added).toEqual([]);
  });

  it.each([
    ['a directory-only rule', '.env/\n'],
    ['a different case (git is case-sensitive on Linux)', '.ENV\n'],
    ['a rule for another file', '.env.local\n'],
  ])('.env not covered by %s: appended', (_name, source) => {
    const result = patchGitignore(source, ['.env']);
    expect(result.added).toEqual(['.env']);
    expect(isIgnored(result.source, '.env')).toBe(true);
  });

  it('covers a directory path by a rule without the slash', () => {
    expect(patchGitignore('.data\n', ['.data/']).added).toEqual([]);
  });

  it('a later negation un-ignores the path, so it is appended again (later rules win)', () => {
    const source = '.env\n!.env\n';
    const result = patchGitignore(source, ['.env']);
    expect(result).toEqual({ source: '.env\n!.env\n\n.env\n', added: ['.env'] });
    expect(isIgnored(source, '.env')).toBe(false);
    expect(isIgnored(result.source, '.env')).toBe(true);
  });

  it('a negated sibling (.env.example) is added back on request, .env stays covered', () => {
    const result = patchGitignore('.env*\n!.env.example\n', ['.env', '.env.example']);
    expect(result.added).toEqual(['.env.example']);
    expect(isIgnored(result.source, '.env')).toBe(true);
    expect(isIgnored(result.source, '.env.example')).toBe(true);
  });

  it('ignores a UTF-8 byte order mark when reading rules, and keeps it', () => {
    const source = '\uFEFF.env\n';
    expect(patchGitignore(source, ['.env']).source).toBe(source);
    expect(patchGitignore(source, ['.data/']).source).toBe('\uFEFF.env\n\n.data/\n');
  });
});

describe('patchGitignore: idempotence', () => {
  it.each([undefined, '', 'node_modules', 'node_modules\n', 'a\r\nb', '.env\n!.env\n', '.env*\n!.env.example\n'])(
    'running twice gives byte-identical output (%j)',
    (source) => {
      const once = patchGitignore(source, [...PATHS, '.env.example'], { header: 'auth' });
      const twice = patchGitignore(once.source, [...PATHS, '.env.example'], { header: 'auth' });
      expect(twice.source).toBe(once.source);
      expect(twice.added).toEqual([]);
    },
  );

  it('returns the very same string when nothing changes', () => {
    const source = 'node_modules\r\n.env\r\n.data/\r\n';
    expect(patchGitignore(source, PATHS).source).toBe(source);
    expect(patchGitignore(source, []).source).toBe(source);
  });
});
