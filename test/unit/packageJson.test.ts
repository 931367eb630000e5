import { describe, expect, it } from 'vitest';
import { patchPackageJson, removeDependencies, type PackageJsonChanges } from '../../src/patch/packageJson.js';

/** Builds a package.json text from lines, with the given indent unit and EOL, like an editor would. */
function pkg(lines: string[], options: { indent?: string; eol?: string; finalNewline?: boolean } = {}): string {
  const { indent = '  ', eol = '\n', finalNewline = true } = options;
  return lines.map((line) => line.replace(/^(~+)/, (marks) => indent.repeat(marks.length))).join(eol) + (finalNewline ? eol : '');
}

const SORTED = ['{', '~"name": "app",', '~"dependencies": {', '~~"cors": "^2.8.5",', '~~"zod": "^4.0.0"', '~}', '}'];

describe('patchPackageJson: layout is kept', () => {
  it.each([
    ['2 spaces', '  '],
    ['4 spaces', '    '],
    ['tabs', '\t'],
  ])('inserts with the file indentation (%s)', (_name, indent) => {
    const result = patchPackageJson(pkg(SORTED, { indent }), { dependencies: { express: '^5.1.0' } });
    expect(result.source).toBe(
      pkg(['{', '~"name": "app",', '~"dependencies": {', '~~"cors": "^2.8.5",', '~~"express": "^5.1.0",', '~~"zod": "^4.0.0"', '~}', '}'], { indent }),
    );
    expect(result.added.dependencies).toEqual(['express']);
  });

  it.each([
    ['LF, final newline', '\n', true],
    ['LF, no final newline', '\n', false],
    ['CRLF, final newline', '\r\n', true],
    ['CRLF, no final newline', '\r\n', false],
  ])('keeps the EOL and final newline (%s)', (_name, eol, finalNewline) => {
    const result = patchPackageJson(pkg(SORTED, { eol, finalNewline }), { dependencies: { express: '^5.1.0' } });
    expect(result.source).toBe(
      pkg(['{', '~"name": "app",', '~"dependencies": {', '~~"cors": "^2.8.5",', '~~"express": "^5.1.0",', '~~"zod": "^4.0.0"', '~}', '}'], { eol, finalNewline }),
    );
  });

  it('does not reformat neighbouring lines with unusual spacing', () => {
    const source = '{\n  "name":"app" ,\n  "dependencies": {\n      "a" :   "1",\n    "c":"1"\n  }\n}\n';
    const result = patchPackageJson(source, { dependencies: { b: '2', d: '3' } });
    expect(result.source).toBe('{\n  "name":"app" ,\n  "dependencies": {\n      "a" :   "1",\n    "b": "2",\n    "c":"1",\n    "d": "3"\n  }\n}\n');
  });

  it('keeps a minified file on one line', () => {
    const result = patchPackageJson('{"name":"app","dependencies":{"cors":"1"}}', { dependencies: { express: '5' }, scripts: { dev: 'node .' } });
    expect(result.source).toBe('{"name":"app","scripts":{"dev":"node ."},"dependencies":{"cors":"1","express":"5"}}');
  });

  it('keeps a one-line section on one line (sorted: in place; unsorted: at the end)', () => {
    const sorted = '{\n  "scripts": { "build": "tsc", "test": "vitest" }\n}\n';
    expect(patchPackageJson(sorted, { scripts: { dev: 'node .' } }).source).toBe(
      '{\n  "scripts": { "build": "tsc", "dev": "node .", "test": "vitest" }\n}\n',
    );
    const unsorted = '{\n  "scripts": { "test": "vitest", "build": "tsc" }\n}\n';
    expect(patchPackageJson(unsorted, { scripts: { dev: 'node .' } }).source).toBe(
      '{\n  "scripts": { "test": "vitest", "build": "tsc", "dev": "node ." }\n}\n',
    );
  });

  it('opens an empty section like the rest of the file', () => {
    const source = '{\n\t"name": "app",\n\t"dependencies": {}\n}\n';
    expect(patchPackageJson(source, { dependencies: { express: '5' } }).source).toBe('{\n\t"name": "app",\n\t"dependencies": {\n\t\t"express": "5"\n\t}\n}\n');
  });

  it('gives an empty {} the usual 2-space layout', () => {
    expect(patchPackageJson('{}', { dependencies: { express: '5' } }).source).toBe('{\n  "dependencies": {\n    "express": "5"\n  }\n}');
  });

  it('keeps a byte order mark', () => {
    const result = patchPackageJson('\uFEFF{\n  "dependencies": {}\n}\n', { dependencies: { a: '1' } });
    expect(result.source).toBe('\uFEFF{\n  "dependencies": {\n    "a": "1"\n  }\n}\n');
  });
});

describe('patchPackageJson: where new keys go', () => {
  it('keeps a sorted section sorted (first, middle and last place)', () => {
    const result = patchPackageJson(pkg(SORTED), { dependencies: { zzz: '1', aaa: '1', express: '1' } });
    expect(Object.keys(JSON.parse(result.source).dependencies)).toEqual(['aaa', 'cors', 'express', 'zod', 'zzz']);
  });

  it('sorts scoped packages the way npm does', () => {
    const result = patchPackageJson(pkg(SORTED), { dependencies: { '@types/x': '1' } });
    expect(Object.keys(JSON.parse(result.source).dependencies)).toEqual(['@types/x', 'cors', 'zod']);
  });

  it('appends to an unsorted section, in the given order, without reordering it', () => {
    const source = pkg(['{', '~"dependencies": {', '~~"zod": "1",', '~~"cors": "1"', '~}', '}']);
    const result = patchPackageJson(source, { dependencies: { express: '5', bcryptjs: '3' } });
    expect(result.source).toBe(pkg(['{', '~"dependencies": {', '~~"zod": "1",', '~~"cors": "1",', '~~"express": "5",', '~~"bcryptjs": "3"', '~}', '}']));
  });

  it('creates devDependencies right after dependencies, sorted', () => {
    const source = pkg(['{', '~"name": "app",', '~"dependencies": {', '~~"a": "1"', '~},', '~"license": "MIT"', '}']);
    const result = patchPackageJson(source, { devDependencies: { zod: '4', '@types/node': '20' } });
    expect(result.source).toBe(
      pkg(['{', '~"name": "app",', '~"dependencies": {', '~~"a": "1"', '~},', '~"devDependencies": {', '~~"@types/node": "20",', '~~"zod": "4"', '~},', '~"license": "MIT"', '}']),
    );
  });

  it('creates dependencies just before devDependencies, and scripts before both', () => {
    const source = pkg(['{', '~"name": "app",', '~"devDependencies": {', '~~"vitest": "4"', '~}', '}'], { indent: '    ' });
    const result = patchPackageJson(source, { dependencies: { express: '5' }, scripts: { dev: 'node .', build: 'tsc' } });
    expect(result.source).toBe(
      pkg(
        ['{', '~"name": "app",', '~"scripts": {', '~~"dev": "node .",', '~~"build": "tsc"', '~},', '~"dependencies": {', '~~"express": "5"', '~},', '~"devDependencies": {', '~~"vitest": "4"', '~}', '}'],
        { indent: '    ' },
      ),
    );
    expect(result.added).toEqual({ dependencies: ['express'], devDependencies: [], scripts: ['dev', 'build'] });
  });

  it('creates dependencies after scripts, or at the end when there is nothing to stand next to', () => {
    const withScripts = patchPackageJson('{\n  "scripts": {},\n  "license": "MIT"\n}\n', { dependencies: { a: '1' } });
    expect(Object.keys(JSON.parse(withScripts.source))).toEqual(['scripts', 'dependencies', 'license']);
    const bare = patchPackageJson('{\n  "name": "app"\n}\n', { devDependencies: { a: '1' } });
    expect(bare.source).toBe('{\n  "name": "app",\n  "devDependencies": {\n    "a": "1"\n  }\n}\n');
  });
});

describe('patchPackageJson: what is already there is kept', () => {
  it.each(['devDependencies', 'peerDependencies', 'optionalDependencies'])(
    'a dependency already in %s is not added to dependencies, and its range is kept',
    (section) => {
      const source = `{\n  "dependencies": {},\n  "${section}": {\n    "express": "^4.21.0"\n  }\n}\n`;
      const result = patchPackageJson(source, { dependencies: { express: '^5.1.0' } });
      expect(result.source).toBe(source);
      expect(result.skipped).toEqual(['express']);
      expect(result.added.dependencies).toEqual([]);
    },
  );

  it('keeps the version range of an existing dependency and reports it as skipped', () => {
    const result = patchPackageJson(pkg(SORTED), { dependencies: { zod: '^3.0.0', express: '5' } });
    expect(JSON.parse(result.source).dependencies).toEqual({ cors: '^2.8.5', express: '5', zod: '^4.0.0' });
    expect(result.skipped).toEqual(['zod']);
    expect(result.added.dependencies).toEqual(['express']);
  });

  it('does not add to devDependencies what it just added to dependencies', () => {
    const result = patchPackageJson('{}', { dependencies: { zod: '4' }, devDependencies: { zod: '4', vitest: '4' } });
    expect(JSON.parse(result.source)).toEqual({ dependencies: { zod: '4' }, devDependencies: { vitest: '4' } });
    expect(result.skipped).toEqual(['zod']);
  });

  it('never overwrites an existing script', () => {
    const source = '{\n  "scripts": {\n    "dev": "nodemon src/index.js"\n  }\n}\n';
    const result = patchPackageJson(source, { scripts: { dev: 'node --watch .', 'db:migrate': 'node migrate.js' } });
    expect(JSON.parse(result.source).scripts).toEqual({ dev: 'nodemon src/index.js', 'db:migrate': 'node migrate.js' });
    expect(result.skipped).toEqual(['dev']);
  });

  it('returns the very same string when nothing changes', () => {
    const source = pkg(SORTED, { indent: '\t', eol: '\r\n', finalNewline: false });
    expect(patchPackageJson(source, { dependencies: { zod: '4' } }).source).toBe(source);
    expect(patchPackageJson(source, {}).source).toBe(source);
  });

  it('refuses a section that is not an object', () => {
    expect(() => patchPackageJson('{"scripts": null}', { scripts: { dev: 'x' } })).toThrow(/"scripts" is not an object/);
  });
});

describe('patchPackageJson: idempotence', () => {
  const changes: PackageJsonChanges = {
    dependencies: { express: '^5.1.0', jsonwebtoken: '^9.0.0' },
    devDependencies: { '@types/jsonwebtoken': '^9.0.0' },
    scripts: { 'auth:secret': 'node -e "console.log(1)"' },
  };
  it.each([
    ['sorted, 2 spaces', pkg(SORTED)],
    ['tabs, CRLF, no final newline', pkg(SORTED, { indent: '\t', eol: '\r\n', finalNewline: false })],
    ['unsorted, 4 spaces', pkg(['{', '~"dependencies": {', '~~"zod": "1",', '~~"cors": "1"', '~}', '}'], { indent: '    ' })],
    ['empty object', '{}'],
    ['minified', '{"name":"app"}'],
  ])('running twice gives byte-identical output (%s)', (_name, source) => {
    const once = patchPackageJson(source, changes);
    const twice = patchPackageJson(once.source, changes);
    expect(twice.source).toBe(once.source);
    expect(twice.added).toEqual({ dependencies: [], devDependencies: [], scripts: [] });
    expect(JSON.parse(once.source)).toMatchObject(changes);
  });
});

describe('patchPackageJson: invalid JSON', () => {
  it.each([
    ['a missing comma', '{\n  "name": "app"\n  "version": "1.0.0"\n}\n', '3:3'],
    ['a trailing comma', '{\n  "name": "app",\n}\n', '3:1'],
    ['a comment', '{\n  // deps\n  "name": "app"\n}\n', '2:3'],
    ['an empty file', '', '1:1'],
  ])('says package.json is not valid JSON and where (%s)', (_name, source, where) => {
    expect(() => patchPackageJson(source, { dependencies: { a: '1' } })).toThrow(`package.json is not valid JSON at ${where}`);
  });

  it('also fails when there is nothing to add', () => {
    expect(() => patchPackageJson('{ "a": }', {})).toThrow(/package\.json is not valid JSON at 1:8/);
  });

  it('rejects a top level that is not an object', () => {
    expect(() => patchPackageJson('[]', {})).toThrow(/top level must be a JSON object/);
  });
});

describe('removeDependencies: the reverse of patchPackageJson', () => {
  const added = { dependencies: { bcryptjs: '^3.0.3', jsonwebtoken: '^9.0.3', zod: '^4.1.0' }, devDependencies: { '@types/jsonwebtoken': '^9.0.10' } };
  const removeAll = (text: string) => {
    const dependencies = removeDependencies(text, 'dependencies', added.dependencies);
    return removeDependencies(dependencies.source, 'devDependencies', added.devDependencies).source;
  };

  it.each([
    ['2 spaces, LF', '  ', '\n', true],
    ['4 spaces, LF, no final newline', '    ', '\n', false],
    ['tabs, CRLF', '\t', '\r\n', true],
    ['tabs, CRLF, no final newline', '\t', '\r\n', false],
  ])('add then remove gives back the original bytes (%s)', (_name, indent, eol, finalNewline) => {
    const original = pkg(['{', '~"name": "app",', '~"dependencies": {', '~~"cors": "^2.8.5",', '~~"express": "^5.1.0"', '~}', '}'], { indent, eol, finalNewline });
    const patched = patchPackageJson(original, added).source;
    expect(patched).not.toBe(original);
    expect(removeAll(patched)).toBe(original);
  });

  it('gives back a minified file and one without any dependency section', () => {
    for (const original of ['{"name":"app","dependencies":{"express":"^5.1.0"}}', '{\n  "name": "app"\n}\n']) {
      expect(removeAll(patchPackageJson(original, added).source)).toBe(original);
    }
  });

  it('keeps a dependency whose range the user changed, and says so', () => {
    const text = '{\n  "dependencies": {\n    "express": "^5.1.0",\n    "zod": "^4.2.0"\n  }\n}\n';
    const result = removeDependencies(text, 'dependencies', { zod: '^4.1.0' });
    expect(result).toEqual({ source: text, removed: [], kept: ['zod@^4.2.0'] });
  });

  it('removes the first of several and the only one, without touching the neighbours', () => {
    const text = '{\n  "dependencies": {\n    "a" :  "1",\n    "b": "2",\n    "c":"3"\n  }\n}\n';
    expect(removeDependencies(text, 'dependencies', { a: '1' }).source).toBe('{\n  "dependencies": {\n    "b": "2",\n    "c":"3"\n  }\n}\n');
    expect(removeDependencies(text, 'dependencies', { a: '1', b: '2', c: '3' }).source).toBe('{}\n');
  });

  it('keeps a byte order mark', () => {
    const original = '\uFEFF{\n  "dependencies": {\n    "express": "^5.1.0"\n  }\n}\n';
    expect(removeAll(patchPackageJson(original, added).source)).toBe(original);
  });
});
