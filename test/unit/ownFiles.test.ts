import { describe, expect, it } from 'vitest';
import { unmetImports } from '../../src/plan/ownFiles.js';
import type { PlannedFile } from '../../src/plan/types.js';

const template = (path: string, after: string): PlannedFile => ({ path, kind: 'template', action: 'create', before: undefined, after, notes: [] });
/** A file of the user's own that --skip-existing keeps: skipped, not recorded. */
const own = (path: string, before: string): PlannedFile => ({ path, kind: 'template', action: 'skip', before, after: before, notes: [], record: undefined });

describe('unmetImports: files of the user kept by --skip-existing', () => {
  it('lists the names the component imports (ESM, TypeScript) that the kept file does not export', () => {
    const files = [
      own('/app/src/utils/response.ts', 'export const ok = 1;\nexport function sendError() {}\n'),
      template('/app/src/routes/auth.ts', "import { jsonErrorHandler, sendError, sendSuccess } from '../utils/response.js';\n"),
      template('/app/src/middleware/auth.ts', "import { sendError } from '../utils/response.js';\n"),
    ];
    expect(unmetImports(files)).toEqual([{ file: '/app/src/utils/response.ts', missing: ['jsonErrorHandler', 'sendSuccess'] }]);
  });

  it('reads CommonJS on both sides: require destructuring and module.exports / exports.x', () => {
    const importer = template('/app/routes/auth.js', "const { sendError, sendSuccess } = require('../utils/response');\n");
    expect(unmetImports([own('/app/utils/response.js', 'module.exports = { sendError, sendSuccess };\n'), importer])).toEqual([]);
    expect(unmetImports([own('/app/utils/response.js', 'exports.sendError = () => {};\n'), importer])).toEqual([
      { file: '/app/utils/response.js', missing: ['sendSuccess'] },
    ]);
  });

  it('counts the patched server entry as an importer', () => {
    const entry: PlannedFile = {
      path: '/app/src/server.ts',
      kind: 'entry',
      action: 'update',
      before: '',
      after: "import { authRouter, authErrorHandler } from './routes/auth.js';\n",
      notes: [],
    };
    expect(unmetImports([own('/app/src/routes/auth.ts', 'export const mine = true;\n'), entry])).toEqual([
      { file: '/app/src/routes/auth.ts', missing: ['authErrorHandler', 'authRouter'] },
    ]);
  });

  it('gives the benefit of the doubt to exports it cannot read, and ignores recorded files', () => {
    const importer = template('/app/src/routes/auth.ts', "import { sendError } from '../utils/response.js';\n");
    expect(unmetImports([own('/app/src/utils/response.ts', "export * from './lib.js';\n"), importer])).toEqual([]);
    expect(unmetImports([own('/app/src/utils/response.ts', 'module.exports = build();\n'), importer])).toEqual([]);
    const recorded = { ...own('/app/src/utils/response.ts', 'export const ok = 1;\n'), record: { sha256: 'x', base: '' } };
    expect(unmetImports([recorded, importer])).toEqual([]);
  });
});
