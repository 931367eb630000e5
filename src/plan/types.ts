import type { Store } from '../components/types.js';
import type { ProjectInfo } from '../project/types.js';

export type FileAction = 'create' | 'update' | 'identical' | 'conflict' | 'skip';

export type FileKind = 'template' | 'entry' | 'env' | 'env-example' | 'gitignore' | 'package-json';

/** One file the run would touch. Everything that prints or writes reads these; nothing recomputes them. */
export interface PlannedFile {
  /** Absolute path. */
  path: string;
  kind: FileKind;
  action: FileAction;
  /** Content on disk now (undefined: the file does not exist). */
  before: string | undefined;
  /** Content after the run. Equal to `before` for identical/conflict/skip. */
  after: string;
  /** Short human notes: what a patch changed, or why a file is kept. */
  notes: string[];
}

export interface Plan {
  component: string;
  store: Store;
  project: ProjectInfo;
  files: PlannedFile[];
  dependencies: { added: Record<string, string>; alreadyPresent: string[] };
  devDependencies: { added: Record<string, string> };
  env: { added: string[]; filled: string[]; kept: string[] };
  install: boolean;
  nextSteps: string[];
}

export function changedFiles(plan: Plan): PlannedFile[] {
  return plan.files.filter((file) => file.action === 'create' || file.action === 'update');
}
