/**
 * The few things the SQL stores need from a database driver. `pg` and PGlite both fit it with a
 * two-line adapter (see index.ts), so user.ts, tokenBlacklist.ts and this file are the same for
 * both. Every query is parameterized ($1, $2, ...): values never become part of the SQL text.
 */
export interface SqlClient {
  query<T>(text: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
}

/** Postgres error code for a unique violation. */
export const UNIQUE_VIOLATION = '23505';

// Every statement is idempotent, so index.ts applies the schema on every start-up (there is no
// separate migrate step to forget). Change it by adding statements, never by editing old ones.
// Tables are prefixed with `auth_` so they never collide with the app's own `users` table.
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS auth_users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'user',
    token_version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  // Emails are stored normalized (trimmed, lower-case, NFC), so a plain unique index is enough.
  `CREATE UNIQUE INDEX IF NOT EXISTS auth_users_email_key ON auth_users (email)`,
  `CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
    token_hash text PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    family_expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz,
    replaced_by text,
    token_version integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  // token_version came after the first release: a table created before it gets the column, filled with
  // each user's current version (the sessions already stored stay valid), then made required. Checked
  // first, so a start-up with nothing to migrate takes no table lock.
  `DO $$
  BEGIN
    IF NOT EXISTS (
      SELECT 1 FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'auth_refresh_tokens' AND column_name = 'token_version'
    ) THEN
      ALTER TABLE auth_refresh_tokens ADD COLUMN token_version integer;
      UPDATE auth_refresh_tokens t SET token_version = u.token_version FROM auth_users u WHERE t.user_id = u.id;
      UPDATE auth_refresh_tokens SET token_version = 0 WHERE token_version IS NULL;
      ALTER TABLE auth_refresh_tokens ALTER COLUMN token_version SET NOT NULL;
    END IF;
  END $$`,
  `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family_idx ON auth_refresh_tokens (family_id)`,
  `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_user_idx ON auth_refresh_tokens (user_id)`,
  `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_expires_idx ON auth_refresh_tokens (expires_at)`,
  `CREATE TABLE IF NOT EXISTS auth_access_token_denylist (
    jti text PRIMARY KEY,
    expires_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS auth_access_token_denylist_expires_idx
    ON auth_access_token_denylist (expires_at)`,
];

export async function applySchema(client: SqlClient): Promise<void> {
  for (const statement of SCHEMA_STATEMENTS) {
    await client.query(statement);
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}
