import { planDiffs } from './diff.js';
import { display, labelOf } from './print.js';
import { changedFiles, conflictsRemaining, type Plan } from './types.js';

/**
 * The plan (or result) as one JSON document for CI: per-file statuses and notes, dependencies, env keys,
 * never file contents (.env holds secrets). `diff` adds the unified diffs, redacted for .env.
 */
export function planToJson(plan: Plan, outcome: { dryRun: boolean; exitCode: number; withDiff: boolean }): Record<string, unknown> {
  const diffs = outcome.withDiff ? new Map(planDiffs(plan).map((entry) => [entry.path, entry.diff])) : undefined;
  return {
    command: plan.command,
    component: plan.component,
    root: plan.project.root,
    store: plan.store,
    dryRun: outcome.dryRun,
    exitCode: outcome.exitCode,
    changed: changedFiles(plan).length > 0,
    files: plan.files.map((file) => {
      const path = display(plan, file.path);
      return {
        path,
        kind: file.kind,
        action: file.action,
        // What the summary prints: the action, or `merged` for a clean merge.
        status: labelOf(file),
        ...(file.kind === 'template' && file.action === 'conflict' && !file.ownFile ? { merge: file.conflicts ? 'conflicts' : 'clean' } : {}),
        ...(file.ownFile ? { ownFile: true } : {}),
        ...(file.conflicts ? { conflicts: file.conflicts } : {}),
        ...(file.backup ? { backup: display(plan, file.backup) } : {}),
        notes: file.notes,
        ...(diffs?.has(path) ? { diff: diffs.get(path) } : {}),
      };
    }),
    conflicts: conflictsRemaining(plan).map((file) => display(plan, file.path)),
    dependencies: plan.dependencies,
    devDependencies: plan.devDependencies,
    env: plan.env,
    installed: plan.installed ?? null,
  };
}
