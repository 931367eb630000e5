import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { readStoreSetting } from '../config/auth.js';
import type { AuthStores } from '../services/authService.js';
import { applySchema, type SqlClient } from './schema.js';
import { createSqlAccessTokenDenylist, createSqlRefreshTokenStore } from './tokenBlacklist.js';
import { createSqlUserStore } from './user.js';

/** Opens the embedded PGlite database (a directory on disk) and creates the auth tables. */
export async function openAuthStores(): Promise<AuthStores> {
  const dataDir = path.resolve(readStoreSetting('PGLITE_DATA_DIR', './.data/auth'));
  let db: PGlite;
  let unlock: () => void = () => {};
  try {
    await mkdir(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
    db = await PGlite.create(dataDir);
  } catch (error) {
    unlock();
    throw new Error(`Could not open the PGlite database in PGLITE_DATA_DIR (${describeError(error)})`);
  }
  try {
    const stores = await createPgliteAuthStores(db);
    return { ...stores, close: () => stores.close().finally(unlock) };
  } catch (error) {
    await db.close().catch(() => undefined);
    unlock();
    throw new Error(`Could not prepare the PGlite database in PGLITE_DATA_DIR (${describeError(error)})`);
  }
}

/**
 * PGlite is one process's database: a second process opening the same directory (another instance, a
 * cluster worker) would corrupt it. A lock file holding our pid keeps it to one; a lock whose process is
 * gone is taken over. Released on close and when the process exits.
 */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'backternity.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        try {
          unlinkSync(file);
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8'));
      if (Number.isInteger(owner) && owner !== process.pid && isRunning(owner)) {
        throw new Error(
          `process ${owner} has it open; PGlite allows one process per directory. For several instances or a cluster, use --db postgres`,
        );
      }
      unlinkSync(file); // left by a process that is gone
    }
  }
  throw new Error(`could not lock ${file}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process nobody has reaped yet (a container without an init process) still answers signal 0:
  // on Linux, /proc says whether it is a zombie.
  try {
    const state = /\)\s+(\w)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): signal 0 is all there is
  }
}

/** The auth stores on an already open PGlite database (also in memory: `new PGlite()`). */
export async function createPgliteAuthStores(db: PGlite): Promise<AuthStores> {
  const client = toSqlClient(db);
  await applySchema(client);
  return {
    users: createSqlUserStore(client),
    refreshTokens: createSqlRefreshTokenStore(client),
    denylist: createSqlAccessTokenDenylist(client),
    close: () => db.close(),
  };
}

// PGlite is a single connection that queues queries itself, so statements never interleave.
function toSqlClient(db: PGlite): SqlClient {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<T>(text, [...params]);
      return { rows: result.rows };
    },
  };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    // PGlite's WebAssembly runtime may reject with a plain object.
    const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
    return typeof message === 'string' ? message : typeof error === 'object' ? JSON.stringify(error) ?? 'unknown error' : String(error);
  }
  return error.message || (error as { code?: string }).code || error.name;
}
