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
  try {
    await mkdir(dataDir, { recursive: true });
    db = await PGlite.create(dataDir);
  } catch (error) {
    throw new Error(`Could not open the PGlite database in PGLITE_DATA_DIR (${describeError(error)})`);
  }
  try {
    return await createPgliteAuthStores(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new Error(`Could not prepare the PGlite database in PGLITE_DATA_DIR (${describeError(error)})`);
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
  if (!(error instanceof Error)) return String(error);
  return error.message || (error as { code?: string }).code || error.name;
}
