import type { AuthRefreshToken, PrismaClient } from '@prisma/client';
import type { AccessTokenDenylist, RefreshTokenRecord, RefreshTokenStore } from '../services/authService.js';

export function createPrismaRefreshTokenStore(prisma: PrismaClient): RefreshTokenStore {
  return {
    async save(token) {
      await prisma.authRefreshToken.create({ data: token });
    },

    // The same single statement as the SQL store (models/tokenBlacklist.ts of --db postgres): marking the
    // token used and saving its successor happen together or not at all, and FOR UPDATE makes a second
    // refresh of the same token wait and then find it used. A findUnique followed by an update and a
    // create would let both win, or leave a used token without its successor. $queryRaw sends every
    // interpolated value as a parameter.
    async rotate(tokenHash, now, successor, concurrentSince) {
      const rows = await prisma.$queryRaw<RefreshTokenFields[]>`
        WITH presented AS (
          SELECT token_hash, family_id, user_id, expires_at, family_expires_at, token_version, used_at, revoked_at
          FROM auth_refresh_tokens
          WHERE token_hash = ${tokenHash} AND revoked_at IS NULL AND expires_at > ${now}
            AND (used_at IS NULL OR used_at >= ${concurrentSince ?? null}::timestamptz)
          FOR UPDATE
        ), used AS (
          UPDATE auth_refresh_tokens SET used_at = ${now}, replaced_by = ${successor.tokenHash}
          WHERE token_hash IN (SELECT token_hash FROM presented WHERE used_at IS NULL)
        ), successor AS (
          INSERT INTO auth_refresh_tokens (token_hash, family_id, user_id, expires_at, family_expires_at, token_version)
          SELECT ${successor.tokenHash}, family_id, user_id, LEAST(${successor.expiresAt}::timestamptz, family_expires_at),
                 family_expires_at, token_version
          FROM presented
        )
        SELECT token_hash AS "tokenHash", family_id AS "familyId", user_id AS "userId", expires_at AS "expiresAt",
               family_expires_at AS "familyExpiresAt", token_version AS "tokenVersion", used_at AS "usedAt", revoked_at AS "revokedAt"
        FROM presented`;
      const row = rows[0];
      return row ? toRecord(row) : null;
    },

    async findByHash(tokenHash) {
      const token = await prisma.authRefreshToken.findUnique({ where: { tokenHash } });
      return token ? toRecord(token) : null;
    },

    // Twice, as in the SQL store: a rotation running meanwhile makes the first UPDATE wait on its row lock,
    // but that UPDATE's snapshot predates the successor; the second one catches it.
    async revokeFamily(familyId, now) {
      for (let pass = 0; pass < 2; pass++) {
        await prisma.authRefreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
      }
    },

    async revokeAllForUser(userId, now) {
      for (let pass = 0; pass < 2; pass++) {
        await prisma.authRefreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
      }
    },

    async deleteExpired(now) {
      await prisma.authRefreshToken.deleteMany({ where: { expiresAt: { lte: now } } });
    },
  };
}

export function createPrismaAccessTokenDenylist(prisma: PrismaClient): AccessTokenDenylist {
  return {
    async add(jti, expiresAt) {
      // INSERT ... ON CONFLICT DO NOTHING: logging out twice is not an error.
      await prisma.authDeniedAccessToken.createMany({ data: [{ jti, expiresAt }], skipDuplicates: true });
    },

    async has(jti) {
      return (await prisma.authDeniedAccessToken.findUnique({ where: { jti } })) !== null;
    },

    async deleteExpired(now) {
      await prisma.authDeniedAccessToken.deleteMany({ where: { expiresAt: { lte: now } } });
    },
  };
}

/** The columns the store reads, as Prisma names them (the raw query aliases its columns the same way). */
type RefreshTokenFields = Pick<
  AuthRefreshToken,
  'tokenHash' | 'familyId' | 'userId' | 'expiresAt' | 'familyExpiresAt' | 'tokenVersion' | 'usedAt' | 'revokedAt'
>;

function toRecord(token: RefreshTokenFields): RefreshTokenRecord {
  return {
    tokenHash: token.tokenHash,
    familyId: token.familyId,
    userId: token.userId,
    expiresAt: token.expiresAt,
    familyExpiresAt: token.familyExpiresAt,
    tokenVersion: token.tokenVersion,
    usedAt: token.usedAt,
    revokedAt: token.revokedAt,
  };
}
