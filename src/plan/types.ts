import type { Store } from '../components/types.js';
import type { InstalledComponent } from '../manifest/manifest.js';
import type { ProjectInfo } from '../project/types.js';

/**
 * What a run does to one file. `conflict`: the user edited the file and the template changed too; the
 * run writes a three-way merge (markers where the edits overlap). `remove` only appears in `remove` plans.
 */
export type FileAction = 'create' | 'update' | 'identical' | 'conflict' | 'skip' | 'remove';

/**
 * `template`: a component file. `entry`, `env`, `env-example`, `gitignore`, `package-json`: the user's files
 * the run patches. `manifest`, `base` (recorded merge bases) and `backup` (from --overwrite) are the record
 * next to the manifest.
 */
export type FileKind = 'template' | 'entry' | 'env' | 'env-example' | 'gitignore' | 'package-json' | 'manifest' | 'base' | 'backup';

/** How existing component files that differ from the template are treated. */
export type ExistingFileMode = 'merge' | 'overwrite' | 'skip-existing';

/** One file the run would touch. Everything that prints or writes reads these; nothing recomputes them. */
export interface PlannedFile {
  /** Absolute path. */
  path: string;
  kind: FileKind;
  action: FileAction;
  /** Content on disk now (undefined: the file does not exist). */
  before: string | undefined;
  /** Content after the run. Equal to `before` for identical/skip; '' for remove. */
  after: string;
  /** Short human notes: what a patch changed, or why a file is kept. */
  notes: string[];
  /** Component files: the current template as rendered for this app. */
  template?: string;
  /** Component files: conflict blocks left with markers (0 for a clean merge). */
  conflicts?: number;
  /** Component files: the user's own file (exists, not in the manifest, differs from the template). */
  ownFile?: boolean;
  /** Component files: where --overwrite saves the user's version first. */
  backup?: string;
  /** Component files: the record (merge base) the manifest keeps after the run; undefined: not recorded. */
  record?: { sha256: string; base: string | undefined };
}

export interface Plan {
  command: 'add' | 'remove';
  component: string;
  store: Store;
  project: ProjectInfo;
  files: PlannedFile[];
  /**
   * `outdated`: declared by the app with a range whose major is below the component's (jsonwebtoken ^8 next to
   * a kit written for 9): kept, since it is the user's, but reported.
   */
  dependencies: { added: Record<string, string>; alreadyPresent: string[]; outdated?: Array<{ name: string; declared: string; wanted: string }> };
  devDependencies: { added: Record<string, string> };
  env: { added: string[]; filled: string[]; kept: string[] };
  install: boolean;
  nextSteps: string[];
  /** The component's record after the run (undefined for a remove). */
  installed: InstalledComponent | undefined;
}

/** Files the run writes (or deletes), in order: the manifest is always last. */
export function changedFiles(plan: Plan): PlannedFile[] {
  return plan.files.filter(writesFile);
}

export function writesFile(file: PlannedFile): boolean {
  if (file.action === 'remove') return true;
  if (file.action === 'identical' || file.action === 'skip') return false;
  return file.before !== file.after;
}

/** Component files that still hold conflict markers after the run. */
export function conflictsRemaining(plan: Plan): PlannedFile[] {
  return plan.files.filter((file) => (file.conflicts ?? 0) > 0);
}

/** The user's own files (not in the manifest) standing where component files go. */
export function ownFileClashes(plan: Plan): PlannedFile[] {
  return plan.files.filter((file) => file.ownFile && file.action === 'conflict');
}

/** Files shown in the per-file summary; the record's sidecar files are summed up in one line instead. */
export function visibleFiles(plan: Plan): PlannedFile[] {
  return plan.files.filter((file) => file.kind !== 'base' && file.kind !== 'backup');
}
