import type { AuthRefreshToken, PrismaClient } from '@prisma/client';
import type { AccessTokenDenylist, RefreshTokenRecord, RefreshTokenStore } from '../services/authService.js';

export function createPrismaRefreshTokenStore(prisma: PrismaClient): RefreshTokenStore {
  return {
    async save(token) {
      await prisma.authRefreshToken.create({ data: token });
    },

    // One UPDATE ... WHERE <all conditions> RETURNING: of two concurrent refreshes with the same
    // token, the second re-checks used_at after the first commits and matches nothing. A findUnique
    // followed by an update would let both win.
    async consume(tokenHash, now, replacedBy) {
      const [token] = await prisma.authRefreshToken.updateManyAndReturn({
        where: { tokenHash, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now, replacedBy },
      });
      return token ? toRecord(token) : null;
    },

    async findByHash(tokenHash) {
      const token = await prisma.authRefreshToken.findUnique({ where: { tokenHash } });
      return token ? toRecord(token) : null;
    },

    async revokeFamily(familyId, now) {
      await prisma.authRefreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: now } });
    },

    async revokeAllForUser(userId, now) {
      await prisma.authRefreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: now } });
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

function toRecord(token: AuthRefreshToken): RefreshTokenRecord {
  return {
    tokenHash: token.tokenHash,
    familyId: token.familyId,
    userId: token.userId,
    expiresAt: token.expiresAt,
    familyExpiresAt: token.familyExpiresAt,
    usedAt: token.usedAt,
    revokedAt: token.revokedAt,
  };
}
