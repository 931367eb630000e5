import pg from 'pg';
import { readStoreSetting } from '../config/auth.js';
import type { AuthStores } from '../services/authService.js';
import { applySchema, type SqlClient } from './schema.js';
import { createSqlAccessTokenDenylist, createSqlRefreshTokenStore } from './tokenBlacklist.js';
import { createSqlUserStore } from './user.js';

const CONNECT_TIMEOUT_MS = 5_000;
// Any fixed number works; it only has to be the same for every instance of this app.
const SCHEMA_LOCK_ID = 7_301_994_211;

/** Connects to PostgreSQL at DATABASE_URL and creates the auth tables if they are missing. */
export async function openAuthStores(): Promise<AuthStores> {
  const pool = new pg.Pool({
    connectionString: readStoreSetting('DATABASE_URL'),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle connection dropped by the server emits 'error'; unhandled, it would crash the app.
  pool.on('error', (error) => {
    console.error(`[auth] PostgreSQL connection error: ${error.message}`);
  });

  try {
    await applySchemaOnce(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`Could not prepare the PostgreSQL database at DATABASE_URL (${describeError(error)})`);
  }

  const client = toSqlClient(pool);
  return {
    users: createSqlUserStore(client),
    refreshTokens: createSqlRefreshTokenStore(client),
    denylist: createSqlAccessTokenDenylist(client),
    close: () => pool.end(),
  };
}

/** Several instances may boot at once; the advisory lock makes them create the tables one by one. */
async function applySchemaOnce(pool: pg.Pool): Promise<void> {
  const connection = await pool.connect();
  try {
    await connection.query('BEGIN');
    await connection.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_ID]);
    await applySchema(toSqlClient(connection));
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    connection.release();
  }
}

function toSqlClient(db: pg.Pool | pg.PoolClient): SqlClient {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const result = await db.query(text, [...params]);
      return { rows: result.rows as T[] };
    },
  };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Connection failures can arrive as an AggregateError with an empty message but a code.
  return error.message || (error as { code?: string }).code || error.name;
}
