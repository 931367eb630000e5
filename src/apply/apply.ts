import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { PlannedFile } from '../plan/types.js';

/** What a run changed on disk, so it can be undone exactly. */
export interface Journal {
  /** Files the run created, in creation order. */
  created: string[];
  /** Files the run replaced or deleted, with their previous bytes. */
  replaced: Array<{ path: string; before: string }>;
  /** Directories the run created, parents first. */
  directories: string[];
}

/**
 * Fails before any write when a target cannot be written (read-only folder, a file where a folder should
 * be), so a doomed run leaves the project untouched instead of relying on rollback.
 */
export function assertWritable(files: PlannedFile[]): void {
  for (const file of files) {
    if (file.action === 'remove') {
      assertRemovable(file.path);
      continue;
    }
    let dir = path.dirname(file.path);
    while (!fs.existsSync(dir)) dir = path.dirname(dir);
    try {
      if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
      fs.accessSync(dir, fs.constants.W_OK);
      if (fs.existsSync(file.path)) fs.accessSync(file.path, fs.constants.W_OK);
    } catch (error) {
      throw new CliError(`Cannot write ${file.path}: ${(error as Error).message}.`, {
        hint: 'Make the project writable for your user (check ownership and permissions), then run again. Nothing was changed.',
      });
    }
  }
}

function assertRemovable(file: string): void {
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
  } catch (error) {
    throw new CliError(`Cannot remove ${file}: ${(error as Error).message}.`, {
      hint: 'Make the project writable for your user (check ownership and permissions), then run again. Nothing was changed.',
    });
  }
}

/**
 * Test-only hook: BACKTERNITY_TEST_FAIL_AFTER_WRITES=N makes the run fail right after its N-th write, so the
 * e2e tests can prove a failure part-way restores every file. Unset (always, outside tests) it does nothing.
 */
function failAfterWrites(): number | undefined {
  const value = process.env.BACKTERNITY_TEST_FAIL_AFTER_WRITES;
  return value === undefined || value === '' ? undefined : Number(value);
}

/**
 * Writes (or deletes) every file the plan changes, in the plan's order, atomically each (temp file in the
 * same folder, then rename). The caller passes the manifest last, so it only changes once everything else
 * has. If any step fails, everything done so far is restored and the error is rethrown.
 */
export function applyFiles(files: PlannedFile[]): Journal {
  const journal: Journal = { created: [], replaced: [], directories: [] };
  const failAfter = failAfterWrites();
  let writes = 0;
  try {
    for (const file of files) {
      if (file.action === 'remove') {
        if (file.before === undefined) continue;
        fs.rmSync(file.path);
        journal.replaced.push({ path: file.path, before: file.before });
      } else {
        makeDirectories(path.dirname(file.path), journal);
        writeAtomic(file.path, file.after);
        if (file.before !== undefined) journal.replaced.push({ path: file.path, before: file.before });
        else journal.created.push(file.path);
      }
      writes++;
      if (failAfter !== undefined && writes >= failAfter) throw new Error(`simulated failure after ${writes} write(s) (BACKTERNITY_TEST_FAIL_AFTER_WRITES)`);
    }
  } catch (error) {
    rollback(journal);
    throw new CliError(`Writing files failed: ${(error as Error).message}.`, {
      hint: 'Every file this run had written was restored. Fix the cause above and run again.',
      cause: error,
    });
  }
  return journal;
}

/** Files outside the plan that a step may change (lockfiles during an install), as bytes; undefined: absent. */
export type Snapshot = Array<{ path: string; bytes: Buffer | undefined }>;

export function snapshotFiles(files: string[]): Snapshot {
  return files.map((file) => ({ path: file, bytes: fs.existsSync(file) ? fs.readFileSync(file) : undefined }));
}

/** Puts snapshotted files back as they were (deleting the ones that did not exist). Never throws. */
export function restoreSnapshot(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  for (const { path: file, bytes } of snapshot) {
    try {
      if (bytes === undefined) fs.rmSync(file, { force: true });
      else if (!fs.existsSync(file) || !fs.readFileSync(file).equals(bytes)) fs.writeFileSync(file, bytes);
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Undoes a journal: restores replaced files, deletes created ones, removes folders the run made. Best effort, never throws. */
export function rollback(journal: Journal): string[] {
  const problems: string[] = [];
  for (const { path: file, before } of [...journal.replaced].reverse()) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true }); // a removed file's folder may be gone
      writeAtomic(file, before);
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  for (const file of [...journal.created].reverse()) {
    try {
      fs.rmSync(file, { force: true });
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  for (const dir of [...journal.directories].reverse()) {
    try {
      fs.rmdirSync(dir); // Only succeeds when empty: never removes anything the user put there.
    } catch {
      // Not empty or already gone: leave it.
    }
  }
  journal.created = [];
  journal.replaced = [];
  journal.directories = [];
  return problems;
}

function makeDirectories(dir: string, journal: Journal): void {
  const missing: string[] = [];
  for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) missing.unshift(current);
  for (const folder of missing) {
    fs.mkdirSync(folder);
    journal.directories.push(folder);
  }
}

/** Write-then-rename, keeping the file's mode, so a crash never leaves a half-written file behind. */
export function writeAtomic(file: string, content: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    mode = undefined;
  }
  try {
    fs.writeFileSync(temp, content, mode === undefined ? undefined : { mode });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
