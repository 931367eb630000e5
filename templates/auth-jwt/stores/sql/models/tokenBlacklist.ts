import type { AccessTokenDenylist, RefreshTokenRecord, RefreshTokenStore } from '../services/authService.js';
import type { SqlClient } from './schema.js';

interface RefreshTokenRow {
  token_hash: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  family_expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

const REFRESH_TOKEN_COLUMNS =
  'token_hash, family_id, user_id, expires_at, family_expires_at, used_at, revoked_at';

export function createSqlRefreshTokenStore(db: SqlClient): RefreshTokenStore {
  return {
    async save(token) {
      await db.query(
        `INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [token.tokenHash, token.familyId, token.userId, token.expiresAt, token.familyExpiresAt],
      );
    },

    // A single conditional UPDATE: of two concurrent refreshes with the same token, the second
    // re-checks `used_at` after the first commits and matches nothing.
    async consume(tokenHash, now, replacedBy) {
      const { rows } = await db.query<RefreshTokenRow>(
        `UPDATE auth_refresh_tokens
         SET used_at = $2, replaced_by = $3
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         RETURNING ${REFRESH_TOKEN_COLUMNS}`,
        [tokenHash, now, replacedBy],
      );
      const row = rows[0];
      return row ? toRecord(row) : null;
    },

    async findByHash(tokenHash) {
      const { rows } = await db.query<RefreshTokenRow>(
        `SELECT ${REFRESH_TOKEN_COLUMNS} FROM auth_refresh_tokens WHERE token_hash = $1`,
        [tokenHash],
      );
      const row = rows[0];
      return row ? toRecord(row) : null;
    },

    async revokeFamily(familyId, now) {
      await db.query(
        'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL',
        [familyId, now],
      );
    },

    async revokeAllForUser(userId, now) {
      await db.query(
        'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL',
        [userId, now],
      );
    },

    async deleteExpired(now) {
      await db.query('DELETE FROM auth_refresh_tokens WHERE expires_at <= $1', [now]);
    },
  };
}

export function createSqlAccessTokenDenylist(db: SqlClient): AccessTokenDenylist {
  return {
    async add(jti, expiresAt) {
      await db.query(
        'INSERT INTO auth_access_token_denylist (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING',
        [jti, expiresAt],
      );
    },

    async has(jti) {
      const { rows } = await db.query('SELECT 1 FROM auth_access_token_denylist WHERE jti = $1', [jti]);
      return rows.length > 0;
    },

    async deleteExpired(now) {
      await db.query('DELETE FROM auth_access_token_denylist WHERE expires_at <= $1', [now]);
    },
  };
}

function toRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    familyId: row.family_id,
    userId: row.user_id,
    expiresAt: row.expires_at,
    familyExpiresAt: row.family_expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}
