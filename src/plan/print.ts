import path from 'node:path';
import type { Colors } from '../ui/colors.js';
import { changedFiles, conflictsRemaining, visibleFiles, type FileAction, type Plan, type PlannedFile } from './types.js';

const LABEL_WIDTH = 10;

/** The per-file summary users read after a run (or instead of one, with --dry-run). */
export function formatPlan(plan: Plan, colors: Colors): string[] {
  const paint: Record<FileAction, (text: string) => string> = {
    create: colors.green,
    update: colors.cyan,
    identical: colors.dim,
    conflict: colors.yellow,
    skip: colors.dim,
    remove: colors.red,
  };
  const files = visibleFiles(plan);
  const width = Math.max(...files.map((file) => display(plan, file.path).length));
  const lines = files.map((file) => {
    const label = paint[file.action](labelOf(file).padEnd(LABEL_WIDTH));
    const notes = file.notes.length ? `  ${colors.dim(file.notes.join('; '))}` : '';
    return `  ${label} ${display(plan, file.path).padEnd(width)}${notes}`.trimEnd();
  });
  const backups = plan.files.filter((file) => file.kind === 'backup');
  if (backups.length && backups[0]) {
    lines.push(colors.dim(`  ${backups.length} replaced file(s) backed up under ${backupFolder(plan, backups[0])}/`));
  }
  if (plan.command === 'remove') return lines;

  const deps = Object.entries({ ...plan.dependencies.added, ...plan.devDependencies.added });
  lines.push('');
  lines.push(
    deps.length
      ? `Dependencies: ${deps.map(([name, range]) => `${name}@${range}`).join(', ')}`
      : 'Dependencies: nothing to add',
  );
  if (plan.dependencies.alreadyPresent.length) {
    lines.push(colors.dim(`  already declared (version ranges kept): ${plan.dependencies.alreadyPresent.join(', ')}`));
  }
  for (const { name, declared, wanted } of plan.dependencies.outdated ?? []) {
    lines.push(colors.yellow(`  ${name} is declared as ${declared}; the component is written for ${wanted}: update it (e.g. ${name}@${wanted}) before you start the app`));
  }
  const envParts = [
    plan.env.added.length ? `added ${plan.env.added.join(', ')}` : '',
    plan.env.filled.length ? `filled ${plan.env.filled.join(', ')}` : '',
    plan.env.kept.length ? `kept the existing ${plan.env.kept.join(', ')}` : '',
  ].filter(Boolean);
  lines.push(`Environment (.env): ${envParts.length ? envParts.join('; ') : 'nothing to change'}`);
  if (changedFiles(plan).length === 0) {
    const settled = conflictsRemaining(plan).length === 0;
    lines.push('', settled ? colors.green('Nothing to change: everything is up to date.') : 'Nothing new to change.');
  }
  return lines;
}

/** The status users read: the action, except that a clean merge reads `merged` (`conflict` when markers were written). */
export function labelOf(file: PlannedFile): string {
  if (file.action === 'conflict' && !file.ownFile && file.conflicts === 0) return 'merged';
  return file.action;
}

/** `.backternity/backup/<stamp>/src/x.ts` → `.backternity/backup/<stamp>`. */
function backupFolder(plan: Plan, backup: PlannedFile): string {
  return display(plan, backup.path).split('/').slice(0, 3).join('/');
}

export function display(plan: Plan, file: string): string {
  return path.relative(plan.project.root, file).split(path.sep).join('/');
}
