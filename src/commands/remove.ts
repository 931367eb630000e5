import fs from 'node:fs';
import path from 'node:path';
import { applyFiles, assertWritable, rollback } from '../apply/apply.js';
import { CliError } from '../errors.js';
import { SIDECAR_DIR } from '../manifest/manifest.js';
import { planToJson } from '../plan/json.js';
import { formatPlan } from '../plan/print.js';
import { buildRemovePlan } from '../plan/removePlan.js';
import { changedFiles, type Plan } from '../plan/types.js';
import { isInteractive } from '../ui/interactive.js';
import { createLogger } from '../ui/logger.js';
import { loadInstalledComponent } from './installed.js';

export interface RemoveCommandOptions {
  cwd: string;
  yes: boolean;
  dryRun: boolean;
  json: boolean;
}

/** Exit codes: 0 done · 1 error, nothing changed · 130 interrupted (nothing changed). */
export async function removeCommand(componentName: string, options: RemoveCommandOptions): Promise<number> {
  const logger = createLogger(options.json ? process.stderr : process.stdout);
  const { component, project, installed: loaded, record, manifest } = loadInstalledComponent(componentName, options.cwd);
  // Only a person at a terminal is asked; everyone else keeps their edited files (the safe default).
  const ask = isInteractive() && !options.yes && !options.dryRun && !options.json;
  const plan = await buildRemovePlan(project, manifest, loaded, {
    removeEdited: async (relative) => (ask ? confirm(`${relative} was edited since it was installed. Remove it anyway?`) : false),
  });

  const { colors } = logger;
  logger.info(`${colors.bold(`backternity remove ${component.name}`)} in ${colors.cyan(project.root)}`);
  logger.line();
  const toWrite = changedFiles(plan);
  if (!options.dryRun) {
    assertWritable(toWrite);
    const journal = applyFiles(toWrite);
    try {
      pruneEmptyFolders(plan);
    } catch (error) {
      rollback(journal);
      throw error;
    }
  }
  for (const line of formatPlan(plan, colors)) logger.info(line);
  logger.line();
  logger.info(
    options.dryRun
      ? colors.yellow('Dry run: nothing was changed.')
      : `Done. Run ${colors.cyan(`${project.packageManager.name} install`)} to drop the removed dependencies from node_modules and the lockfile.`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify(planToJson(plan, { dryRun: options.dryRun, exitCode: 0, withDiff: false }), null, 2)}\n`);
  return 0;
}

async function confirm(message: string): Promise<boolean> {
  const { default: prompts } = await import('prompts');
  const answer = (await prompts({ type: 'confirm', name: 'remove', message, initial: false }, { onCancel: () => true })) as { remove?: boolean };
  if (answer.remove === undefined) throw new CliError('Cancelled: nothing was changed.', { exitCode: 130 });
  return answer.remove;
}

/** Folders the removal emptied (routes/, .backternity/base/auth-jwt/ …), never the app root or its source dir. */
function pruneEmptyFolders(plan: Plan): void {
  const keep = new Set([plan.project.root, plan.project.srcDir]);
  const sidecar = path.join(plan.project.root, SIDECAR_DIR);
  for (const file of plan.files.filter((f) => f.action === 'remove')) {
    for (let dir = path.dirname(file.path); !keep.has(dir) && dir.startsWith(plan.project.root); dir = path.dirname(dir)) {
      if (!fs.existsSync(dir) || fs.readdirSync(dir).length > 0) break;
      fs.rmdirSync(dir);
      if (dir === sidecar) break;
    }
  }
}
