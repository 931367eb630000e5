import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, runCli, typeCheck } from '../../scripts/sandbox.mjs';

/**
 * Apps install whatever `@types/node` is current, not the floor this repo develops against (20). Newer majors
 * tighten event types (since 25 a Worker's 'error' listener gets `unknown`), so the generated code is
 * type-checked against the newest major too (`types-node26` is an alias of `@types/node@^26`), for every
 * store and both optional parts, with TypeScript 5 and 7; the ts-strictest cases add the strictest flags.
 */
const CASES = [
  { fixture: 'ts-esm-nodenext', args: ['--db', 'pglite', '--redis', '--refresh-cookie'] },
  { fixture: 'ts-esm-nodenext', args: ['--db', 'postgres'] },
  { fixture: 'ts-cjs', args: ['--db', 'mongodb', '--redis'] },
  // The strictest compiler flags people turn on (exactOptionalPropertyTypes, noUncheckedIndexedAccess,
  // noPropertyAccessFromIndexSignature, erasableSyntaxOnly, verbatimModuleSyntax), on the stores and parts
  // the matrix does not boot there.
  { fixture: 'ts-strictest', args: ['--db', 'mongodb', '--redis', '--refresh-cookie'] },
  { fixture: 'ts-strictest', args: ['--db', 'postgres', '--redis'] },
];

describe.each(CASES)('$fixture $args with @types/node 26', ({ fixture, args }) => {
  const sandbox = makeSandbox(fixture, { packages: { '@types/node': 'types-node26' } });
  afterAll(() => sandbox.cleanup());
  const scaffold = runCli(['add', 'auth-jwt', '--yes', '--no-install', ...args], { cwd: sandbox.dir });

  it('scaffolds', () => {
    expect(scaffold.stderr).toBe('');
    expect(scaffold.code).toBe(0);
  });

  it.each(['ts5', 'ts7'] as const)('type-checks under strict with %s', (compiler) => {
    const result = typeCheck(sandbox.dir, compiler);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
