import pg from 'pg';
import { readStoreSetting } from '../config/auth.js';
import type { AuthStores } from '../services/authService.js';
import { applySchema, type SqlClient } from './schema.js';
import { createSqlAccessTokenDenylist, createSqlRefreshTokenStore } from './tokenBlacklist.js';
import { createSqlUserStore } from './user.js';

// Bounds on every wait, so a database that is down or unreachable turns into a quick 503
// instead of requests that hang until the client gives up.
const CONNECT_TIMEOUT_MS = 5_000;
/** Server side: PostgreSQL cancels a statement running longer than this (the connection stays usable). */
const STATEMENT_TIMEOUT_MS = 5_000;
/** Client side: covers a network that stops answering, where the server cannot cancel anything. */
const QUERY_TIMEOUT_MS = 7_000;
// Any fixed number works; it only has to be the same for every instance of this app.
const SCHEMA_LOCK_ID = 7_301_994_211;

/** Connects to PostgreSQL at DATABASE_URL and creates the auth tables if they are missing. */
export async function openAuthStores(): Promise<AuthStores> {
  const pool = createPool(readStoreSetting('DATABASE_URL'));
  try {
    return await createPostgresAuthStores(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`Could not prepare the PostgreSQL database at DATABASE_URL (${describeError(error)})`);
  }
}

export function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: STATEMENT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle connection dropped by the server (restart, failover) emits 'error' on the pool;
  // unhandled, it would crash the app. The pool replaces the connection on the next query.
  pool.on('error', (error) => {
    console.error(`[auth] PostgreSQL connection error: ${error.message}`);
  });
  return pool;
}

/** The auth stores on a pool: applies the schema, then every query goes through the pool. */
export async function createPostgresAuthStores(pool: pg.Pool): Promise<AuthStores> {
  await applySchemaOnce(pool);
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
    connection.release();
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    connection.release(true); // a connection in an unknown state is closed, not reused
    throw error;
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
