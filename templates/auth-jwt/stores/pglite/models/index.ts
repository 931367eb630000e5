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
    await applySchema(toSqlClient(db));
  } catch (error) {
    throw new Error(`Could not open the PGlite database in PGLITE_DATA_DIR (${describeError(error)})`);
  }

  const client = toSqlClient(db);
  return {
    users: createSqlUserStore(client),
    refreshTokens: createSqlRefreshTokenStore(client),
    denylist: createSqlAccessTokenDenylist(client),
    close: () => db.close(),
  };
}

// PGlite is a single connection that queues queries itself; no transactions are needed here.
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
  // Connection failures can arrive as an AggregateError with an empty message but a code.
  return error.message || (error as { code?: string }).code || error.name;
}
