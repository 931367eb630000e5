import path from 'node:path';
import type { Colors } from '../ui/colors.js';
import type { FileAction, Plan } from './types.js';

const LABEL_WIDTH = 10;

/** The per-file summary users read after a run (or instead of one, with --dry-run). */
export function formatPlan(plan: Plan, colors: Colors): string[] {
  const paint: Record<FileAction, (text: string) => string> = {
    create: colors.green,
    update: colors.cyan,
    identical: colors.dim,
    conflict: colors.yellow,
    skip: colors.dim,
  };
  const width = Math.max(...plan.files.map((file) => display(plan, file.path).length));
  const lines = plan.files.map((file) => {
    const label = paint[file.action](file.action.padEnd(LABEL_WIDTH));
    const notes = file.notes.length ? `  ${colors.dim(file.notes.join('; '))}` : '';
    return `  ${label} ${display(plan, file.path).padEnd(width)}${notes}`.trimEnd();
  });

  const deps = Object.entries({ ...plan.dependencies.added, ...plan.devDependencies.added });
  lines.push('');
  lines.push(
    deps.length
      ? `Dependencies: ${deps.map(([name, range]) => `${name}@${range}`).join(', ')}`
      : 'Dependencies: nothing to add',
  );
  if (plan.dependencies.alreadyPresent.length) {
    lines.push(colors.dim(`  already declared (kept as they are): ${plan.dependencies.alreadyPresent.join(', ')}`));
  }
  const envParts = [
    plan.env.added.length ? `added ${plan.env.added.join(', ')}` : '',
    plan.env.filled.length ? `filled ${plan.env.filled.join(', ')}` : '',
    plan.env.kept.length ? `kept your ${plan.env.kept.join(', ')}` : '',
  ].filter(Boolean);
  lines.push(`Environment (.env): ${envParts.length ? envParts.join('; ') : 'nothing to change'}`);
  return lines;
}

export function display(plan: Plan, file: string): string {
  return path.relative(plan.project.root, file).split(path.sep).join('/');
}
