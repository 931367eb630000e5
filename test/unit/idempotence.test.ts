import { describe, expect, it } from 'vitest';
import { patchEnv } from '../../src/patch/env.js';
import { patchGitignore } from '../../src/patch/gitignore.js';
import { patchPackageJson } from '../../src/patch/packageJson.js';
import { patchServerEntry, type EntryPatchOptions } from '../../src/patch/serverEntry.js';
import { unpatchServerEntry } from '../../src/patch/unpatchEntry.js';
import type { CodeStyle } from '../../src/project/types.js';

/**
 * Every patcher, run on its own output, returns it byte for byte: across line endings, a present or missing
 * final newline, tabs or spaces and either quote style. And the entry patch is undone exactly by `remove`.
 */
const EOLS = [
  ['LF', '\n'],
  ['CRLF', '\r\n'],
] as const;
const FINAL_NEWLINE = [true, false];
const INDENTS = [
  ['spaces', '  '],
  ['tabs', '\t'],
] as const;
const QUOTES = ["'", '"'] as const;

const matrix = EOLS.flatMap(([eolName, eol]) =>
  FINAL_NEWLINE.flatMap((finalNewline) =>
    INDENTS.flatMap(([indentName, indent]) =>
      QUOTES.map((quote) => ({ name: `${eolName}, ${finalNewline ? 'final newline' : 'no final newline'}, ${indentName}, ${quote}`, eol, finalNewline, indent, quote })),
    ),
  ),
);

type Case = (typeof matrix)[number];

function text(lines: string[], c: Case): string {
  return lines.join(c.eol) + (c.finalNewline ? c.eol : '');
}

function entrySource(c: Case): string {
  const q = c.quote;
  return text(
    [
      `import express from ${q}express${q};`,
      '',
      'const app = express();',
      `app.use(express.json());`,
      `app.get(${q}/health${q}, (_req, res) => {`,
      `${c.indent}res.json({ ok: true });`,
      '});',
      '',
      'app.use((_req, res) => {',
      `${c.indent}res.status(404).end();`,
      '});',
      '',
      `if (process.env.NODE_ENV !== ${q}test${q}) {`,
      `${c.indent}app.listen(3000);`,
      '}',
    ],
    c,
  );
}

function entryOptions(c: Case): EntryPatchOptions {
  const style: CodeStyle = { eol: c.eol, indent: c.indent, quote: c.quote, semicolons: true };
  return { routerImport: './routes/auth.js', connectImport: './services/auth.js', mountPath: '/api/auth', syntax: 'import', awaitConnect: true, style };
}

describe.each(matrix)('run twice = byte-identical ($name)', (c) => {
  it('server entry', () => {
    const first = patchServerEntry(entrySource(c), 'server.ts', entryOptions(c));
    expect(first.status).toBe('patched');
    if (first.status !== 'patched') return;
    expect(first.source).toContain(`${c.quote}/api/auth${c.quote}`);
    // Every line the patch added ends the way the file's lines do.
    expect(first.source.split('\n').length - 1).toBe(first.source.split(c.eol).length - 1);
    const second = patchServerEntry(first.source, 'server.ts', entryOptions(c));
    expect(second).toEqual({ status: 'unchanged', source: first.source });
  });

  it('server entry: remove gives back the original bytes', () => {
    const original = entrySource(c);
    const first = patchServerEntry(original, 'server.ts', entryOptions(c));
    if (first.status !== 'patched') throw new Error(`not patched: ${first.status}`);
    const removed = unpatchServerEntry(first.source, 'server.ts', { imports: ['./routes/auth.js', './services/auth.js'], mountPath: '/api/auth' });
    expect(removed.status).toBe('unpatched');
    if (removed.status === 'unpatched') expect(removed.source).toBe(original);
  });

  it('.env', () => {
    const source = text([`${c.indent}# settings`, `NAME=${c.quote}my app${c.quote}`, 'EMPTY_KEY='], c);
    const entries = [
      { key: 'JWT_SECRET', value: 'abc', comment: 'secret' },
      { key: 'EMPTY_KEY', value: 'filled' },
      { key: 'NAME', value: 'other' },
    ];
    const first = patchEnv(source, entries, { header: 'auth-jwt (added by backternity)' });
    expect(first.added).toEqual(['JWT_SECRET']);
    expect(first.filled).toEqual(['EMPTY_KEY']);
    expect(first.source.startsWith(`${c.indent}# settings${c.eol}NAME=${c.quote}my app${c.quote}${c.eol}`)).toBe(true);
    expect(first.source.replace(/\r\n/g, '').includes('\n')).toBe(c.eol === '\n');
    const second = patchEnv(first.source, entries, { header: 'auth-jwt (added by backternity)' });
    expect(second.source).toBe(first.source);
    expect(second.added).toEqual([]);
    expect(second.filled).toEqual([]);
  });

  it('.gitignore', () => {
    const source = text(['node_modules/', `${c.indent}# build`, 'dist'], c);
    const first = patchGitignore(source, ['.env', '.data/']);
    expect(first.added).toEqual(['.env', '.data/']);
    expect(first.source.startsWith(source)).toBe(true);
    const second = patchGitignore(first.source, ['.env', '.data/']);
    expect(second.source).toBe(first.source);
    expect(second.added).toEqual([]);
  });

  it('package.json (declared ranges are kept)', () => {
    const source = text(['{', `${c.indent}"name": "app",`, `${c.indent}"dependencies": {`, `${c.indent}${c.indent}"zod": "3.22.0"`, `${c.indent}}`, '}'], c);
    const changes = { dependencies: { jsonwebtoken: '^9.0.3', zod: '^4.1.0' } };
    const first = patchPackageJson(source, changes);
    expect(first.added.dependencies).toEqual(['jsonwebtoken']);
    expect(JSON.parse(first.source).dependencies.zod).toBe('3.22.0');
    expect(first.source.endsWith(c.finalNewline ? `}${c.eol}` : '}')).toBe(true);
    const second = patchPackageJson(first.source, changes);
    expect(second.source).toBe(first.source);
    expect(second.added.dependencies).toEqual([]);
  });
});

describe('unpatchServerEntry', () => {
  it('keeps an import that also brings in names of the user', () => {
    const source = "import express from 'express';\nimport { authRouter, helper } from './routes/auth.js';\nconst app = express();\napp.use('/api/auth', authRouter);\n";
    const result = unpatchServerEntry(source, 'server.ts', { imports: ['./routes/auth.js'], mountPath: '/api/auth' });
    expect(result.status).toBe('unpatched');
    if (result.status !== 'unpatched') return;
    expect(result.source).toBe("import express from 'express';\nimport { authRouter, helper } from './routes/auth.js';\nconst app = express();\n");
    expect(result.kept[0]).toMatch(/also imports names of yours/);
  });

  it('removes require() forms in CommonJS and leaves other mounts alone', () => {
    const source =
      "const express = require('express');\nconst { authRouter, authErrorHandler } = require('./routes/auth');\nconst app = express();\napp.use('/api/auth', authRouter, authErrorHandler);\napp.use('/api/auth', myOwnRouter);\n";
    const result = unpatchServerEntry(source, 'app.cjs', { imports: ['./routes/auth'], mountPath: '/api/auth' });
    expect(result.status === 'unpatched' && result.source).toBe("const express = require('express');\nconst app = express();\napp.use('/api/auth', myOwnRouter);\n");
  });

  it('reports a file it cannot parse instead of guessing', () => {
    expect(unpatchServerEntry('app.use((', 'server.ts', { imports: [], mountPath: '/api/auth' }).status).toBe('unsupported');
  });
});
