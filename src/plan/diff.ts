import { createTwoFilesPatch } from 'diff';
import { redactEnv } from '../patch/env.js';
import { display } from './print.js';
import { writesFile, type Plan, type PlannedFile } from './types.js';

/**
 * Unified diffs (git-style a/ b/ headers) of what the run changes in the user's files. The sidecar files
 * next to the manifest are left out: they are bookkeeping, summed up by the manifest's own diff.
 */
export function planDiffs(plan: Plan): Array<{ path: string; diff: string }> {
  return plan.files
    .filter((file) => writesFile(file) && file.kind !== 'base' && file.kind !== 'backup')
    .map((file) => ({ path: display(plan, file.path), diff: fileDiff(display(plan, file.path), file.before, file.action === 'remove' ? undefined : file.after, file.kind) }));
}

/** One file's diff; `undefined` on a side means the file does not exist there. */
export function fileDiff(name: string, before: string | undefined, after: string | undefined, kind: PlannedFile['kind']): string {
  // .env holds secrets (ours and the user's): a diff printed to a terminal or a CI log shows which keys
  // change, never their values.
  const shown = (text: string | undefined) => (text !== undefined && kind === 'env' ? redactEnv(text) : (text ?? ''));
  const patch = createTwoFilesPatch(
    before === undefined ? '/dev/null' : `a/${name}`,
    after === undefined ? '/dev/null' : `b/${name}`,
    shown(before),
    shown(after),
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop the `===` banner line the library puts first; keep the ---/+++ headers git users know.
  return patch.replace(/^=+\r?\n/, '');
}
