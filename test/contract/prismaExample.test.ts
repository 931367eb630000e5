import fs from 'node:fs';
import fse from 'fs-extra';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, repoRoot, runCli, typeCheck } from '../../scripts/sandbox.mjs';

/**
 * docs/stores.md's Prisma store, checked the way a user would use it: scaffold `--db postgres` into an app
 * (NodeNext, strict), replace models/ with docs/examples/prisma/models, and type-check with TypeScript 5 and 7.
 * Prisma's engines cannot be downloaded here, so `@prisma/client` is the hand-written declaration in
 * docs/examples/prisma/types (the doc says so); nothing here runs the example.
 */
const EXAMPLE = path.join(repoRoot, 'docs', 'examples', 'prisma');

describe('docs/examples/prisma implements the store interfaces', () => {
  let sandbox: ReturnType<typeof makeSandbox>;

  beforeAll(() => {
    sandbox = makeSandbox('ts-esm-nodenext');
    const scaffold = runCli(['add', 'auth-jwt', '--yes', '--no-install', '--db', 'postgres'], { cwd: sandbox.dir });
    if (scaffold.code !== 0) throw new Error(`scaffold failed:\n${scaffold.stdout}${scaffold.stderr}`);
    const models = path.join(sandbox.dir, 'src', 'models');
    fs.rmSync(models, { recursive: true });
    fse.copySync(path.join(EXAMPLE, 'models'), models);
    fse.copySync(path.join(EXAMPLE, 'types'), path.join(sandbox.dir, 'src', 'types'));
  });
  afterAll(() => sandbox?.cleanup());

  it('replaces every SQL model file', () => {
    expect(fs.readdirSync(path.join(sandbox.dir, 'src', 'models')).sort()).toEqual(['index.ts', 'tokenBlacklist.ts', 'user.ts']);
  });

  it.each(['ts5', 'ts7'] as const)('type-checks in the scaffolded app with %s', (compiler) => {
    const result = typeCheck(sandbox.dir, compiler);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
