import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import { afterAll, describe, expect, it } from 'vitest';
import type { CodeStyle } from '../../src/project/types.js';
import { applyCodeStyle } from '../../src/templating/codeStyle.js';
import { outputPath, renderTemplate, type RenderProject } from '../../src/templating/render.js';
import { stripTypes } from '../../src/templating/stripTypes.js';
import { toCommonJs } from '../../src/templating/toCommonJs.js';

const TEMPLATES = path.resolve(import.meta.dirname, '..', '..', 'templates');
const STYLE: CodeStyle = { eol: '\n', indent: '  ', quote: "'", semicolons: true };

function templateFiles(dir = TEMPLATES): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? templateFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

const project = (overrides: Partial<RenderProject>): RenderProject => ({
  language: 'js',
  moduleSystem: 'esm',
  importExtension: '.js',
  outputExtension: '.js',
  esModuleInterop: true,
  style: STYLE,
  ...overrides,
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-render-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `node --check` on the text, as a file with the given extension (which decides ESM or CommonJS). */
function nodeCheck(source: string, extension: '.mjs' | '.cjs'): { code: number; stderr: string } {
  const file = path.join(tmp, `check-${Math.random().toString(36).slice(2)}${extension}`);
  fs.writeFileSync(file, source);
  const result = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  return { code: result.status ?? -1, stderr: result.stderr };
}

/** Line comments of the template that are not inside a type-only block (`declare global { … }`). */
function keptComments(source: string, filename: string): string[] {
  const ast = parse(source, { sourceType: 'module', plugins: ['typescript'] });
  const typeOnly = ast.program.body
    .map((statement) => ('declaration' in statement && statement.declaration ? statement.declaration : statement) as t.Node)
    .filter((node) => node.type === 'TSModuleDeclaration')
    .map((node) => [node.start ?? 0, node.end ?? 0] as const);
  return (ast.comments ?? [])
    .filter((comment) => comment.type === 'CommentLine')
    .filter((comment) => !typeOnly.some(([start, end]) => (comment.start ?? 0) > start && (comment.end ?? 0) < end))
    .map((comment) => comment.value.trim())
    .filter((text) => text.length > 0 && !filename.endsWith('.d.ts'));
}

/** Identifier-like tokens of plain JavaScript (comments and strings excluded). */
function codeWords(source: string): Set<string> {
  const ast = parse(source, { sourceType: 'unambiguous', tokens: true, allowReturnOutsideFunction: true });
  return new Set(
    (ast.tokens ?? [])
      .filter((token) => ['name', 'interface', 'implements', 'private', 'public', 'protected'].includes((token as { type: { label: string } }).type.label) || /^[a-z]+$/.test((token as { type: { label: string } }).type.label))
      .map((token) => source.slice((token as { start: number }).start, (token as { end: number }).end)),
  );
}

const TS_ONLY_WORDS = ['interface', 'implements', 'private', 'protected', 'public', 'readonly', 'satisfies', 'declare', 'namespace', 'abstract'];

describe.each([
  { moduleSystem: 'esm' as const, extension: '.mjs' as const, importExtension: '.js' as const },
  { moduleSystem: 'cjs' as const, extension: '.cjs' as const, importExtension: '' as const },
])('JavaScript output ($moduleSystem) for every template', ({ moduleSystem, extension, importExtension }) => {
  it.each(templateFiles().map((file) => path.relative(TEMPLATES, file)))('%s', (relative) => {
    const source = fs.readFileSync(path.join(TEMPLATES, relative), 'utf8');
    const output = renderTemplate(source, relative, project({ moduleSystem, importExtension }));

    const check = nodeCheck(output, extension);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);

    // Comments survive the conversion.
    for (const comment of keptComments(source, relative)) expect(output, `comment kept: ${comment}`).toContain(comment);

    // No TypeScript keyword is left in the code (comments and strings may mention them).
    const words = codeWords(output);
    for (const word of TS_ONLY_WORDS) expect(words.has(word), `no "${word}" in the code`).toBe(false);

    if (moduleSystem === 'cjs') {
      expect(words.has('import')).toBe(false);
      expect(words.has('export')).toBe(false);
      if (/^export /m.test(source)) expect(output).toMatch(/^module\.exports = \{/m);
      for (const specifier of output.matchAll(/require\('(\.[^']*)'\)/g)) expect(specifier[1]).not.toMatch(/\.js$/);
    } else {
      for (const specifier of output.matchAll(/from '(\.[^']*)'/g)) expect(specifier[1]).toMatch(/\.js$/);
    }
  });
});

describe('the store contract reads as JSDoc', () => {
  const source = fs.readFileSync(path.join(TEMPLATES, 'auth-jwt', 'base', 'services', 'authService.ts'), 'utf8');
  const output = renderTemplate(source, 'services/authService.ts', project({}));

  it('keeps each store interface as a @typedef with its members and their docs', () => {
    for (const name of ['User', 'UserStore', 'RefreshTokenStore', 'AccessTokenDenylist', 'AuthStores']) {
      expect(output).toMatch(new RegExp(`@typedef \\{object\\} ${name}\\n`));
    }
    expect(output).toContain('@property {(input: { email: string; passwordHash: string }) => Promise<User>} create Must throw DuplicateEmailError');
    expect(output).toContain('@typedef {User & { passwordHash: string }} UserWithPasswordHash');
  });

  it('documents function signatures with @param/@returns and class fields with @type', () => {
    expect(output).toMatch(/\* @param \{string\} email\n \* @returns \{string\}\n \*\/\nexport function normalizeEmail\(email\) \{/);
    expect(output).toMatch(/export class AuthError extends Error \{\n {2}\/\*\* @type \{number\} \*\/\n {2}status;\n {2}\/\*\* @type \{AuthErrorCode\} \*\/\n {2}code;\n/);
    expect(output).toMatch(/super\(message\);\n {4}this\.name = 'AuthError';\n {4}this\.status = status;\n {4}this\.code = code;/);
  });
});

describe('stripTypes', () => {
  it.each([
    ["const reply = (await c.config('GET', 'x')) as unknown;\n", "const reply = (await c.config('GET', 'x'));\n"],
    ['const a = (b) as unknown as string;\n', 'const a = (b);\n'],
    ['const x = (y as number) + 1;\n', 'const x = y + 1;\n'],
    ['const n = ((a + b) as number) * 2;\n', 'const n = ((a + b)) * 2;\n'],
  ])('casts of parenthesized expressions keep their parentheses: %j', (input, expected) => {
    expect(stripTypes(`async function f() {\n${input}}\n`, 'x.ts')).toBe(`async function f() {\n${expected}}\n`);
  });

  it('removes every type-only range and leaves the rest as written', () => {
    const input = [
      "import type { A } from './a.js';",
      "import { b, type C } from './b.js';",
      '',
      'type Id = string;',
      '',
      'abstract class Base<T> extends Root<T> implements A, C {',
      '  protected abstract name: string;',
      '  private count = 0 as number;',
      '  private readonly seen: Set<string>;',
      '  constructor(private readonly id: Id, public label?: string) {',
      '    super();',
      '  }',
      '  get<K extends keyof T>(this: Base<T>, key: K): T[K] | undefined {',
      '    return (this.items as Record<K, T[K]>)[key]!;',
      '  }',
      '}',
      '',
      'export const x = <const>[b(1 satisfies number)];',
      'declare global {',
      '  var debug: boolean;',
      '}',
      '',
    ].join('\n');
    expect(stripTypes(input, 'x.ts')).toBe(
      [
        "import { b } from './b.js';",
        '',
        '/**',
        " * @typedef {import('./a.js').A} A",
        " * @typedef {import('./b.js').C} C",
        ' */',
        '',
        '/** @typedef {string} Id */',
        '',
        'class Base extends Root {',
        '  count = 0;',
        '  /** @type {Set<string>} */',
        '  seen;',
        '  /**',
        '   * @param {Id} id',
        '   * @param {string} [label]',
        '   */',
        '  constructor(id, label) {',
        '    super();',
        '    this.id = id;',
        '    this.label = label;',
        '  }',
        '  /**',
        '   * @template {keyof T} K',
        '   * @param {K} key',
        '   * @returns {T[K] | undefined}',
        '   */',
        '  get(key) {',
        '    return this.items[key];',
        '  }',
        '}',
        '',
        'export const x = [b(1)];',
        '',
      ].join('\n'),
    );
  });
});

describe('toCommonJs', () => {
  it('writes require and module.exports the way people do by hand', () => {
    const input = [
      "import express from 'express';",
      "import bcrypt, { hash } from 'bcryptjs';",
      "import { a as b, c } from './x';",
      "import './side-effect';",
      '',
      'export const one = 1;',
      'export function two() {',
      '  return b + c;',
      '}',
      'const three = 3;',
      'export { three as tres };',
      '',
    ].join('\n');
    expect(toCommonJs(input, 'x.js')).toBe(
      [
        "const express = require('express');",
        "const bcrypt = require('bcryptjs');",
        'const { hash } = bcrypt;',
        "const { a: b, c } = require('./x');",
        "require('./side-effect');",
        '',
        'const one = 1;',
        'function two() {',
        '  return b + c;',
        '}',
        'const three = 3;',
        '',
        'module.exports = { one, two, tres: three };',
        '',
      ].join('\n'),
    );
  });
});

describe('TypeScript without esModuleInterop', () => {
  it('imports CommonJS packages with import = require and keeps named (type) imports separate', () => {
    const source = fs.readFileSync(path.join(TEMPLATES, 'auth-jwt', 'base', 'routes', 'auth.ts'), 'utf8');
    const output = renderTemplate(source, 'routes/auth.ts', project({ language: 'ts', moduleSystem: 'cjs', importExtension: '', outputExtension: '.ts', esModuleInterop: false }));
    expect(output).toMatch(/^import express = require\('express'\);\nimport \{ type NextFunction, type Request, type RequestHandler, type Response \} from 'express';$/m);
    expect(output).toContain("from '../middleware/auth';");
    expect(output).not.toMatch(/^import express from/m);
  });
});

describe('output paths', () => {
  it('maps the manifest .ts names to the app extension in one place', () => {
    expect(outputPath('routes/auth.ts', { outputExtension: '.ts' })).toBe('routes/auth.ts');
    expect(outputPath('routes/auth.ts', { outputExtension: '.js' })).toBe('routes/auth.js');
    expect(outputPath('routes/auth.ts', { outputExtension: '.mjs' })).toBe('routes/auth.mjs');
    expect(outputPath('routes/auth.ts', { outputExtension: '.cjs' })).toBe('routes/auth.cjs');
  });

  it('.cjs apps get .cjs requires, .mjs apps get .mjs imports', () => {
    const source = "import { x } from './x.js';\nexport const y = x;\n";
    expect(renderTemplate(source, 'y.ts', project({ moduleSystem: 'cjs', importExtension: '.cjs', outputExtension: '.cjs' }))).toContain("require('./x.cjs')");
    expect(renderTemplate(source, 'y.ts', project({ importExtension: '.mjs', outputExtension: '.mjs' }))).toContain("from './x.mjs'");
  });
});

describe('applyCodeStyle', () => {
  const sample = [
    "import { a } from './a';",
    "const quote = 'it\\'s';",
    "const plain = 'plain';",
    "const has = 'say \"hi\"';",
    'const re = /;\\s*$/;',
    'const sql = `',
    '  SELECT 1;',
    '`;',
    'function f() {',
    '  if (a) {',
    "    return 'x';",
    '  }',
    '  /**',
    '   * doc',
    '   */',
    '  const list = [1, 2];',
    '  [3].forEach(a);',
    '  for (let i = 0; i < 2; i++) a(i);',
    '}',
    '',
  ].join('\n');

  it('double quotes, no semicolons, tabs — strings, regexes and template literals untouched', () => {
    expect(applyCodeStyle(sample, 'x.js', { quote: '"', semicolons: false, indent: '\t' })).toBe(
      [
        'import { a } from "./a"',
        "const quote = 'it\\'s'",
        'const plain = "plain"',
        "const has = 'say \"hi\"'",
        'const re = /;\\s*$/',
        'const sql = `',
        '  SELECT 1;',
        '`',
        'function f() {',
        '\tif (a) {',
        '\t\treturn "x"',
        '\t}',
        '\t/**',
        '\t * doc',
        '\t */',
        // Kept: the next line starts with `[`, so dropping it would merge the two statements.
        '\tconst list = [1, 2];',
        '\t[3].forEach(a)',
        '\tfor (let i = 0; i < 2; i++) a(i)',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('four spaces', () => {
    expect(applyCodeStyle('function f() {\n  return 1;\n}\n', 'x.ts', { quote: "'", semicolons: true, indent: '    ' })).toBe('function f() {\n    return 1;\n}\n');
  });

  it('CRLF apps get CRLF throughout', () => {
    const output = renderTemplate("export const a = 'x';\n// done\n", 'a.ts', project({ style: { ...STYLE, eol: '\r\n' } }));
    expect(output).toBe("export const a = 'x';\r\n// done\r\n");
  });
});
