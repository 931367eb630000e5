import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSandbox } from '../../scripts/sandbox.mjs';
import { CliError } from '../../src/errors.js';
import { detectProject } from '../../src/project/detect.js';
import type { ProjectInfo } from '../../src/project/types.js';

/**
 * Detection on every fixture app, asserting the whole ProjectInfo. Each runs on a temp copy (as the e2e
 * tests do) so nothing above the app (this repo's own lockfile) leaks into the answer.
 */
const EXPRESS4 = { express: 'express4', '@types/express': '@types/express4' };
const LF_2_SINGLE_SEMI = { eol: '\n', indent: '  ', quote: "'", semicolons: true } as const;
const NPM_DEFAULT = { name: 'npm', reason: 'no lockfile or packageManager field; npm by default' } as const;

type Expected = Omit<ProjectInfo, 'root' | 'packageJsonPath' | 'packageJson' | 'dependencies' | 'srcDir' | 'entry' | 'tsconfigPath' | 'workspaceRoot'> & {
  /** Relative to the sandbox root. */
  app?: string;
  srcDir: string;
  entry: string;
  tsconfig: boolean;
  workspaceRoot?: boolean;
};

const FIXTURES: Array<{ fixture: string; express4?: boolean; expected: Expected }> = [
  {
    fixture: 'ts-esm-nodenext',
    expected: {
      language: 'ts', moduleSystem: 'esm', sourceSyntax: 'import', importExtension: '.js', outputExtension: '.ts', esModuleInterop: true,
      topLevelAwait: true, srcDir: 'src', entry: 'src/server.ts', entryProblem: undefined, expressMajor: 5,
      packageManager: NPM_DEFAULT, style: LF_2_SINGLE_SEMI, tsconfig: true, port: 3000,
    },
  },
  {
    fixture: 'ts-cjs',
    expected: {
      language: 'ts', moduleSystem: 'cjs', sourceSyntax: 'import', importExtension: '', outputExtension: '.ts', esModuleInterop: true,
      topLevelAwait: false, srcDir: 'src', entry: 'src/app.ts', entryProblem: undefined, expressMajor: 5,
      packageManager: NPM_DEFAULT, style: { eol: '\n', indent: '  ', quote: '"', semicolons: false }, tsconfig: true, port: 4000,
    },
  },
  {
    fixture: 'ts-cjs-no-interop',
    expected: {
      language: 'ts', moduleSystem: 'cjs', sourceSyntax: 'import', importExtension: '', outputExtension: '.ts', esModuleInterop: false,
      topLevelAwait: false, srcDir: 'src', entry: 'src/server.ts', entryProblem: undefined, expressMajor: 5,
      packageManager: NPM_DEFAULT, style: LF_2_SINGLE_SEMI, tsconfig: true, port: 5000,
    },
  },
  {
    // Imports its own files as `./x.ts` (Node's type stripping; tsc rewrites them with rewriteRelativeImportExtensions).
    fixture: 'ts-strictest',
    expected: {
      language: 'ts', moduleSystem: 'esm', sourceSyntax: 'import', importExtension: '.ts', outputExtension: '.ts', esModuleInterop: true,
      topLevelAwait: true, srcDir: 'src', entry: 'src/main.ts', entryProblem: undefined, expressMajor: 5,
      packageManager: NPM_DEFAULT, style: LF_2_SINGLE_SEMI, tsconfig: true, port: 3000,
    },
  },
  {
    fixture: 'ts-paths',
    expected: {
      language: 'ts', moduleSystem: 'cjs', sourceSyntax: 'import', importExtension: '', outputExtension: '.ts', esModuleInterop: true,
      topLevelAwait: false, srcDir: 'src', entry: 'src/app.ts', entryProblem: undefined, expressMajor: 5,
      packageManager: { name: 'pnpm', reason: 'packageManager field in package.json' }, style: LF_2_SINGLE_SEMI, tsconfig: true, port: 3000,
    },
  },
  {
    fixture: 'ts-express4-crlf',
    express4: true,
    expected: {
      language: 'ts', moduleSystem: 'cjs', sourceSyntax: 'import', importExtension: '', outputExtension: '.ts', esModuleInterop: true,
      topLevelAwait: false, srcDir: '.', entry: 'server.ts', entryProblem: undefined, expressMajor: 4,
      packageManager: { name: 'npm', reason: 'package-lock.json found' },
      style: { eol: '\r\n', indent: '\t', quote: "'", semicolons: true }, tsconfig: true, port: 3000,
    },
  },
  {
    fixture: 'js-express-generator',
    express4: true,
    expected: {
      language: 'js', moduleSystem: 'cjs', sourceSyntax: 'require', importExtension: '', outputExtension: '.js', esModuleInterop: true,
      topLevelAwait: false, srcDir: '.', entry: 'app.js', entryProblem: undefined, expressMajor: 4,
      packageManager: { name: 'yarn', reason: 'yarn.lock found' }, style: LF_2_SINGLE_SEMI, tsconfig: false, port: 3000,
    },
  },
  {
    fixture: 'js-esm',
    expected: {
      language: 'js', moduleSystem: 'esm', sourceSyntax: 'import', importExtension: '.js', outputExtension: '.js', esModuleInterop: true,
      topLevelAwait: true, srcDir: 'src', entry: 'src/server.js', entryProblem: undefined, expressMajor: 5,
      packageManager: { name: 'bun', reason: 'bun.lock found' },
      // From .prettierrc (YAML): no semicolons, double quotes, four spaces.
      style: { eol: '\n', indent: '    ', quote: '"', semicolons: false }, tsconfig: false, port: 3000,
    },
  },
  {
    fixture: 'workspace-npm',
    expected: {
      app: 'packages/api',
      language: 'js', moduleSystem: 'cjs', sourceSyntax: 'require', importExtension: '', outputExtension: '.js', esModuleInterop: true,
      topLevelAwait: false, srcDir: 'packages/api', entry: 'packages/api/server.js', entryProblem: undefined, expressMajor: 5,
      packageManager: { name: 'npm', reason: `${path.join('..', '..', 'package-lock.json')} found` },
      style: LF_2_SINGLE_SEMI, tsconfig: false, port: 3000, workspaceRoot: true,
    },
  },
];

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.();
});

function sandbox(fixture: string, express4 = false): string {
  const box = makeSandbox(fixture, express4 ? { packages: EXPRESS4 } : {});
  cleanups.push(box.cleanup);
  return box.dir;
}

describe('detectProject on every fixture app', () => {
  it.each(FIXTURES)('$fixture', ({ fixture, express4, expected }) => {
    const dir = sandbox(fixture, express4);
    const { app, srcDir, entry, tsconfig, workspaceRoot, ...rest } = expected;
    const root = path.join(dir, app ?? '.');
    const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const info = detectProject(dir, {});
    expect(info).toEqual({
      ...rest,
      root,
      packageJsonPath: path.join(root, 'package.json'),
      packageJson,
      dependencies: { ...packageJson.devDependencies, ...packageJson.dependencies },
      srcDir: path.join(dir, srcDir),
      entry: { path: path.join(dir, entry), appVariable: 'app' },
      tsconfigPath: tsconfig ? path.join(root, 'tsconfig.json') : undefined,
      workspaceRoot: workspaceRoot ? dir : undefined,
    } satisfies ProjectInfo);
  });

  it('takes the port from PORT in .env over the default in the code', () => {
    const dir = sandbox('ts-cjs');
    fs.writeFileSync(path.join(dir, '.env'), '# local\nPORT=8080\n');
    expect(detectProject(dir, {}).port).toBe(8080);
  });

  it('finds the same app from a folder inside it', () => {
    const dir = sandbox('ts-cjs');
    expect(detectProject(path.join(dir, 'src'), {}).root).toBe(dir);
  });
});

describe('a TypeScript app that has been built', () => {
  it.each([
    ['ts-esm-nodenext', 'dist/server.js', 'src/server.ts'],
    ['ts-strictest', 'dist/main.js', 'src/main.ts'],
    ['ts-cjs-no-interop', 'dist/server.js', 'src/server.ts'],
  ])('%s: the compiled %s is never the entry; %s is', (fixture, compiled, source) => {
    const dir = sandbox(fixture);
    // What tsc leaves behind, close enough: the same code, calling express() too.
    fs.mkdirSync(path.join(dir, path.dirname(compiled)), { recursive: true });
    fs.writeFileSync(path.join(dir, compiled), "import express from 'express';\nconst app = express();\napp.listen(3000);\n");
    const info = detectProject(dir, {});
    expect(info.entry?.path).toBe(path.join(dir, source));
    expect(info.language).toBe('ts');
  });

  it('honours an outDir set in an extended tsconfig, relative to that file', () => {
    const dir = sandbox('ts-esm-nodenext');
    fs.mkdirSync(path.join(dir, 'config'));
    fs.writeFileSync(path.join(dir, 'config', 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { outDir: '../compiled' } }));
    const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
    delete tsconfig.compilerOptions.outDir;
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, extends: './config/tsconfig.base.json' }));
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, main: 'compiled/server.js' }));
    fs.mkdirSync(path.join(dir, 'compiled'));
    fs.writeFileSync(path.join(dir, 'compiled', 'server.js'), "import express from 'express';\nconst app = express();\napp.listen(3000);\n");
    expect(detectProject(dir, {}).entry?.path).toBe(path.join(dir, 'src', 'server.ts'));
  });
});

describe('workspace roots', () => {
  it('stops and lists the candidates when several members use express', () => {
    const dir = sandbox('workspace-npm');
    const second = path.join(dir, 'packages', 'admin');
    fs.mkdirSync(second);
    fs.writeFileSync(path.join(second, 'package.json'), JSON.stringify({ name: 'admin', dependencies: { express: '^5.1.0' } }));
    const error = catchError(() => detectProject(dir, {}));
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toContain(path.join('packages', 'admin'));
    expect(error.message).toContain(path.join('packages', 'api'));
    expect((error as CliError).hint).toMatch(/--cwd/);
  });

  it('reads pnpm-workspace.yaml', () => {
    const dir = sandbox('workspace-npm');
    const rootPackage = path.join(dir, 'package.json');
    fs.writeFileSync(rootPackage, JSON.stringify({ name: 'acme', private: true }));
    fs.writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), "packages:\n  - 'packages/*'\n  - '!packages/web'\n");
    const info = detectProject(dir, {});
    expect(info.root).toBe(path.join(dir, 'packages', 'api'));
    expect(info.workspaceRoot).toBe(dir);
  });

  it('still says express is missing when no member has it', () => {
    const dir = sandbox('workspace-npm');
    fs.rmSync(path.join(dir, 'packages', 'api'), { recursive: true });
    expect(() => detectProject(dir, {})).toThrow(/No package\.json with express/);
  });
});

describe('--package-manager', () => {
  it('is taken as given when the app has no lockfile', () => {
    const dir = sandbox('ts-cjs');
    expect(detectProject(dir, {}, { packageManager: 'pnpm' }).packageManager).toEqual({ name: 'pnpm', reason: '--package-manager' });
  });

  it('agrees with a matching lockfile', () => {
    const dir = sandbox('js-esm');
    expect(detectProject(dir, {}, { packageManager: 'bun' }).packageManager.name).toBe('bun');
  });

  it('refuses to create a second lockfile', () => {
    const dir = sandbox('js-esm');
    const error = catchError(() => detectProject(dir, {}, { packageManager: 'npm' }));
    expect(error.message).toMatch(/second lockfile/);
    expect((error as CliError).hint).toMatch(/bun/);
  });

  it('refuses to contradict the packageManager field', () => {
    const dir = sandbox('ts-paths');
    expect(() => detectProject(dir, {}, { packageManager: 'yarn' })).toThrow(/packageManager field \(pnpm\)/);
  });

  it('rejects an unknown name', () => {
    const dir = sandbox('ts-cjs');
    expect(() => detectProject(dir, {}, { packageManager: 'cargo' })).toThrow(/Unknown --package-manager value "cargo"/);
  });
});

describe('package manager detection', () => {
  it.each([
    ['pnpm-lock.yaml', 'pnpm'],
    ['yarn.lock', 'yarn'],
    ['bun.lock', 'bun'],
    ['bun.lockb', 'bun'],
    ['package-lock.json', 'npm'],
  ])('%s → %s', (lockfile, name) => {
    const dir = sandbox('ts-cjs');
    fs.writeFileSync(path.join(dir, lockfile), '');
    expect(detectProject(dir, {}).packageManager).toEqual({ name, reason: `${lockfile} found` });
  });

  it('a lockfile above an app that is not in a workspace belongs to nobody', () => {
    const dir = sandbox('ts-cjs');
    fs.writeFileSync(path.join(path.dirname(dir), 'yarn.lock'), '');
    expect(detectProject(dir, {}).packageManager).toEqual(NPM_DEFAULT);
  });

  it('the packageManager field wins over a lockfile', () => {
    const dir = sandbox('ts-paths');
    fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
    expect(detectProject(dir, {}).packageManager.name).toBe('pnpm');
  });
});

describe('code style sources', () => {
  it('.editorconfig sets indentation and line endings when no Prettier config does', () => {
    const dir = sandbox('ts-esm-nodenext');
    fs.writeFileSync(path.join(dir, '.editorconfig'), 'root = true\n\n[*.md]\nindent_size = 8\n\n[*.{ts,js}]\nindent_style = space\nindent_size = 4\nend_of_line = crlf\n');
    expect(detectProject(dir, {}).style).toEqual({ eol: '\r\n', indent: '    ', quote: "'", semicolons: true });
  });

  it('a JSON .prettierrc wins over the entry file, with Prettier defaults for missing keys', () => {
    const dir = sandbox('ts-esm-nodenext');
    fs.writeFileSync(path.join(dir, '.prettierrc.json'), JSON.stringify({ useTabs: true }));
    expect(detectProject(dir, {}).style).toEqual({ eol: '\n', indent: '\t', quote: '"', semicolons: true });
  });

  it('a Prettier config at the workspace root applies to its members', () => {
    const dir = sandbox('workspace-npm');
    fs.writeFileSync(path.join(dir, '.prettierrc'), JSON.stringify({ singleQuote: false, semi: false, tabWidth: 4 }));
    expect(detectProject(dir, {}).style).toMatchObject({ quote: '"', semicolons: false, indent: '    ' });
  });

  it('the package.json prettier key is read too', () => {
    const dir = sandbox('ts-cjs');
    const file = path.join(dir, 'package.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), prettier: { singleQuote: true, semi: true, endOfLine: 'crlf' } }));
    expect(detectProject(dir, {}).style).toEqual({ eol: '\r\n', indent: '  ', quote: "'", semicolons: true });
  });
});

describe('JavaScript extensions', () => {
  it('an .mjs entry gets .mjs files and .mjs imports; a .cjs entry gets .cjs', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-ext-'));
    cleanups.push(() => fs.rmSync(base, { recursive: true, force: true }));
    fs.writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: 'x', dependencies: { express: '^5.1.0' } }));
    fs.writeFileSync(path.join(base, 'server.mjs'), "import express from 'express';\nconst app = express();\napp.listen(3000);\n");
    expect(detectProject(base, {})).toMatchObject({ language: 'js', moduleSystem: 'esm', outputExtension: '.mjs', importExtension: '.mjs' });
    fs.rmSync(path.join(base, 'server.mjs'));
    fs.writeFileSync(path.join(base, 'server.cjs'), "const express = require('express');\nconst app = express();\napp.listen(3000);\n");
    expect(detectProject(base, {})).toMatchObject({ language: 'js', moduleSystem: 'cjs', outputExtension: '.cjs', importExtension: '.cjs' });
  });
});

describe('the module system of the generated TypeScript files', () => {
  function app(files: Record<string, string>, packageJson: Record<string, unknown> = {}): string {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-modules-'));
    cleanups.push(() => fs.rmSync(base, { recursive: true, force: true }));
    fs.writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: 'x', dependencies: { express: '^5.1.0' }, ...packageJson }));
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
      fs.writeFileSync(path.join(base, file), text);
    }
    return base;
  }
  const server = "import express from 'express';\nconst app = express();\napp.listen(3000);\n";

  it('module ESNext with bundler resolution and no "type": "module" is CommonJS at run time (tsx): no top-level await', () => {
    const dir = app({ 'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler' } }), 'src/index.ts': server }, { scripts: { dev: 'tsx watch src/index.ts' } });
    expect(detectProject(dir, {})).toMatchObject({ language: 'ts', moduleSystem: 'cjs', topLevelAwait: false, importExtension: '' });
  });

  it('the same with "type": "module" is ESM', () => {
    const dir = app({ 'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler' } }), 'src/index.ts': server }, { type: 'module' });
    expect(detectProject(dir, {})).toMatchObject({ moduleSystem: 'esm', topLevelAwait: true, importExtension: '' });
  });

  it('a .cts entry in a "type": "module" package under NodeNext: the generated .ts files are ESM and need .js', () => {
    const dir = app(
      { 'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }), 'src/server.cts': "import express = require('express');\nconst app = express();\napp.listen(3000);\n" },
      { type: 'module' },
    );
    expect(detectProject(dir, {})).toMatchObject({ language: 'ts', moduleSystem: 'esm', importExtension: '.js', outputExtension: '.ts' });
  });

  it('a .tsx entry is TypeScript', () => {
    const dir = app({ 'tsconfig.json': JSON.stringify({ compilerOptions: { jsx: 'react-jsx' } }), 'src/server.tsx': server }, { scripts: { dev: 'tsx watch src/server.tsx' } });
    expect(detectProject(dir, {})).toMatchObject({ language: 'ts', outputExtension: '.ts' });
  });
});

describe('relative import suffixes in TypeScript ESM', () => {
  const entry = (imports: string) => `import express from 'express';\n${imports}const app = express();\napp.listen(3000);\n`;
  it.each([
    ['the entry imports ./x.ts', { module: 'NodeNext', allowImportingTsExtensions: true, noEmit: true }, "import { a } from './a.ts';\n", '.ts'],
    ['the entry imports ./x.js', { module: 'NodeNext', rewriteRelativeImportExtensions: true }, "import { a } from './a.js';\n", '.js'],
    ['no relative import, rewriteRelativeImportExtensions on', { module: 'NodeNext', rewriteRelativeImportExtensions: true }, '', '.ts'],
    ['no relative import, NodeNext', { module: 'NodeNext' }, '', '.js'],
    ['no relative import, bundler resolution', { module: 'ESNext', moduleResolution: 'Bundler' }, '', ''],
  ])('%s', (_name, compilerOptions, imports, expected) => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'backternity-suffix-'));
    cleanups.push(() => fs.rmSync(base, { recursive: true, force: true }));
    fs.writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: 'x', type: 'module', dependencies: { express: '^5.1.0' } }));
    fs.writeFileSync(path.join(base, 'tsconfig.json'), JSON.stringify({ compilerOptions }));
    fs.mkdirSync(path.join(base, 'src'));
    fs.writeFileSync(path.join(base, 'src', 'server.ts'), entry(imports));
    expect(detectProject(base, {}).importExtension).toBe(expected);
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
