import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchema, type SqlClient } from '../../templates/auth-jwt/stores/sql/models/schema.js';

/**
 * The SQL schema is applied at every start-up, so it must also bring a database made by an older version of
 * the templates up to date: here, refresh tokens stored before they carried the user's token version.
 */
describe('SQL schema: upgrading a database from before token_version', () => {
  let db: PGlite;
  let client: SqlClient;

  beforeAll(async () => {
    db = new PGlite();
    client = { query: async (text, params = []) => ({ rows: (await db.query(text, [...params])).rows as never[] }) };
    // The first release's tables, with a user whose token version had moved on, and one of their sessions.
    await db.exec(`
      CREATE TABLE auth_users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL, password_hash text NOT NULL,
        role text NOT NULL DEFAULT 'user', token_version integer NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE auth_refresh_tokens (
        token_hash text PRIMARY KEY, family_id uuid NOT NULL, user_id uuid NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL, family_expires_at timestamptz NOT NULL, used_at timestamptz, revoked_at timestamptz,
        replaced_by text, created_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO auth_users (id, email, password_hash, token_version) VALUES ('11111111-1111-4111-8111-111111111111', 'old@example.com', 'h', 3);
      INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at)
        VALUES ('old-hash', gen_random_uuid(), '11111111-1111-4111-8111-111111111111', now() + interval '1 day', now() + interval '1 day');
    `);
  });
  afterAll(() => db?.close());

  it("adds the column, keeps stored sessions valid with their user's current version, and makes it required", async () => {
    await applySchema(client);
    const { rows } = await client.query<{ token_version: number }>("SELECT token_version FROM auth_refresh_tokens WHERE token_hash = 'old-hash'");
    expect(rows).toEqual([{ token_version: 3 }]);
    const column = await client.query<{ is_nullable: string }>(
      "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'auth_refresh_tokens' AND column_name = 'token_version'",
    );
    expect(column.rows).toEqual([{ is_nullable: 'NO' }]);
  });

  it('changes nothing when applied again', async () => {
    await applySchema(client);
    const { rows } = await client.query<{ token_version: number }>('SELECT token_version FROM auth_refresh_tokens');
    expect(rows).toEqual([{ token_version: 3 }]);
  });
});
