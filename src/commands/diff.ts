import { matchesRecorded, sameTextIgnoringEol, sha256 } from '../manifest/manifest.js';
import { buildPlan } from '../plan/buildPlan.js';
import { fileDiff } from '../plan/diff.js';
import { display } from '../plan/print.js';
import { type Plan, type PlannedFile } from '../plan/types.js';
import { createLogger } from '../ui/logger.js';
import { loadInstalledComponent } from './installed.js';

export interface DiffCommandOptions {
  cwd: string;
  json: boolean;
}

type FileState = 'would be patched' | 'unchanged' | 'edited by you' | 'template changed' | 'both changed' | 'missing' | 'not recorded';

/**
 * What differs between the installed component (files on disk, as backternity.json recorded them) and the
 * current templates: a state per file and a unified diff from the file on disk to the current template,
 * plus what `add` would still add to the patched files. Writes nothing.
 */
export async function diffCommand(componentName: string, options: DiffCommandOptions): Promise<number> {
  const logger = createLogger(options.json ? process.stderr : process.stdout);
  const { component, project, installed, record, options: recorded, manifest } = loadInstalledComponent(componentName, options.cwd);
  const plan = buildPlan(project, manifest, { ...recorded, install: false, installed, mode: 'merge' });

  const entries = plan.files
    .filter((file) => file.kind === 'template' || (['entry', 'env-example', 'gitignore', 'package-json'].includes(file.kind) && file.action !== 'identical'))
    .map((file) => describe(plan, file, record.files[display(plan, file.path)]?.sha256));
  const differing = entries.filter((entry) => entry.state !== 'unchanged');

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ component: component.name, templates: { installed: record.templates, current: plan.installed?.templates }, files: entries }, null, 2)}\n`,
    );
    return 0;
  }
  const { colors } = logger;
  logger.info(
    `${colors.bold(`backternity diff ${component.name}`)}: installed templates ${record.templates}, current ${plan.installed?.templates ?? '?'}`,
  );
  logger.line();
  const width = Math.max(...entries.map((entry) => entry.state.length));
  for (const entry of entries) logger.info(`  ${entry.state.padEnd(width)}  ${entry.path}`);
  for (const entry of differing) if (entry.diff) logger.info(`\n${entry.diff.trimEnd()}`);
  logger.line();
  logger.info(differing.length ? `Run ${colors.cyan(`backternity add ${component.name} --diff`)} to see what an upgrade would write.` : colors.green('No differences.'));
  return 0;
}

function describe(plan: Plan, file: PlannedFile, recorded: string | undefined): { path: string; kind: string; state: FileState; diff?: string } {
  const relative = display(plan, file.path);
  if (file.kind !== 'template') {
    return { path: relative, kind: file.kind, state: 'would be patched', diff: fileDiff(relative, file.before, file.after, file.kind) };
  }
  const template = file.template ?? '';
  if (file.before === undefined) return { path: relative, kind: file.kind, state: 'missing', diff: fileDiff(relative, undefined, template, file.kind) };
  if (sameTextIgnoringEol(file.before, template)) return { path: relative, kind: file.kind, state: 'unchanged' };
  const diff = fileDiff(relative, file.before, template, file.kind);
  if (recorded === undefined) return { path: relative, kind: file.kind, state: 'not recorded', diff };
  const edited = !matchesRecorded(file.before, recorded);
  const changed = recorded !== sha256(template);
  const state: FileState = edited && changed ? 'both changed' : edited ? 'edited by you' : 'template changed';
  return { path: relative, kind: file.kind, state, diff };
}
