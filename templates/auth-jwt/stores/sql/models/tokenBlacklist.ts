import type { AccessTokenDenylist, RefreshTokenRecord, RefreshTokenStore } from '../services/authService.js';
import type { SqlClient } from './schema.js';

interface RefreshTokenRow {
  token_hash: string;
  family_id: string;
  user_id: string;
  expires_at: Date;
  family_expires_at: Date;
  token_version: number;
  used_at: Date | null;
  revoked_at: Date | null;
}

const REFRESH_TOKEN_COLUMNS =
  'token_hash, family_id, user_id, expires_at, family_expires_at, token_version, used_at, revoked_at';

export function createSqlRefreshTokenStore(db: SqlClient): RefreshTokenStore {
  return {
    async save(token) {
      await db.query(
        `INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at, token_version)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [token.tokenHash, token.familyId, token.userId, token.expiresAt, token.familyExpiresAt, token.tokenVersion],
      );
    },

    // One statement, so one transaction: the token is marked used and its successor saved together, or
    // neither. FOR UPDATE makes a concurrent rotation of the same token wait, then re-check the row as the
    // first one left it (used: no match, unless inside the grace window). A revocation of the family
    // waits on the same row lock (see revokeFamily).
    async rotate(tokenHash, now, successor, concurrentSince) {
      const { rows } = await db.query<RefreshTokenRow>(
        `WITH presented AS (
           SELECT ${REFRESH_TOKEN_COLUMNS} FROM auth_refresh_tokens
           WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
             AND (used_at IS NULL OR used_at >= $5::timestamptz)
           FOR UPDATE
         ), used AS (
           UPDATE auth_refresh_tokens SET used_at = $2, replaced_by = $3
           WHERE token_hash IN (SELECT token_hash FROM presented WHERE used_at IS NULL)
         ), successor AS (
           INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at, token_version)
           SELECT $3, family_id, user_id, LEAST($4::timestamptz, family_expires_at), family_expires_at, token_version
           FROM presented
         )
         SELECT ${REFRESH_TOKEN_COLUMNS} FROM presented`,
        [tokenHash, now, successor.tokenHash, successor.expiresAt, concurrentSince ?? null],
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

    // Twice, on purpose. A rotation running meanwhile holds a lock on a row of the family, so the first
    // UPDATE waits for it to commit, but its snapshot predates the successor that rotation saved. The
    // second UPDATE starts after that commit and catches the successor.
    async revokeFamily(familyId, now) {
      for (let pass = 0; pass < 2; pass++) {
        await db.query(
          'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL',
          [familyId, now],
        );
      }
    },

    async revokeAllForUser(userId, now) {
      for (let pass = 0; pass < 2; pass++) {
        await db.query(
          'UPDATE auth_refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL',
          [userId, now],
        );
      }
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
    tokenVersion: row.token_version,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}
