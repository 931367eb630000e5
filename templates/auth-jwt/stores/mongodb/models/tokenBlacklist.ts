import mongoose, { Schema, Types } from 'mongoose';
import type { AccessTokenDenylist, RefreshTokenRecord, RefreshTokenStore } from '../services/authService.js';
import { sanitizeQueryFilters } from './sanitizeFilter.js';

export interface RefreshTokenDocument {
  /** SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  familyId: string;
  userId: Types.ObjectId;
  expiresAt: Date;
  familyExpiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
  createdAt: Date;
}

const refreshTokenSchema = new Schema<RefreshTokenDocument>(
  {
    tokenHash: { type: String, required: true, unique: true },
    familyId: { type: String, required: true, index: true },
    userId: { type: Schema.Types.ObjectId, ref: 'AuthUser', required: true, index: true },
    expiresAt: { type: Date, required: true },
    familyExpiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
    replacedBy: { type: String, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, bufferCommands: false },
);
// MongoDB deletes each token shortly after it expires.
refreshTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
sanitizeQueryFilters(refreshTokenSchema);

export const RefreshToken = mongoose.model<RefreshTokenDocument>(
  'AuthRefreshToken',
  refreshTokenSchema,
  'auth_refresh_tokens',
);

export interface DeniedAccessTokenDocument {
  jti: string;
  expiresAt: Date;
}

const deniedAccessTokenSchema = new Schema<DeniedAccessTokenDocument>(
  {
    jti: { type: String, required: true, unique: true },
    expiresAt: { type: Date, required: true },
  },
  { bufferCommands: false },
);
deniedAccessTokenSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
sanitizeQueryFilters(deniedAccessTokenSchema);

export const DeniedAccessToken = mongoose.model<DeniedAccessTokenDocument>(
  'AuthDeniedAccessToken',
  deniedAccessTokenSchema,
  'auth_access_token_denylist',
);

export function createMongoRefreshTokenStore(): RefreshTokenStore {
  return {
    async save(token) {
      await RefreshToken.create({ ...token, userId: new Types.ObjectId(token.userId) });
    },

    // All conditions sit in the filter of one findOneAndUpdate, so of two concurrent
    // refreshes with the same token only one can match.
    async consume(tokenHash, now, replacedBy) {
      const token = await RefreshToken.findOneAndUpdate(
        { tokenHash, usedAt: null, revokedAt: null, expiresAt: mongoose.trusted({ $gt: now }) },
        { $set: { usedAt: now, replacedBy } },
        { new: true },
      ).lean<RefreshTokenDocument>();
      return token ? toRecord(token) : null;
    },

    async findByHash(tokenHash) {
      const token = await RefreshToken.findOne({ tokenHash }).lean<RefreshTokenDocument>();
      return token ? toRecord(token) : null;
    },

    async revokeFamily(familyId, now) {
      await RefreshToken.updateMany({ familyId, revokedAt: null }, { $set: { revokedAt: now } });
    },

    async revokeAllForUser(userId, now) {
      if (!Types.ObjectId.isValid(userId)) return;
      await RefreshToken.updateMany(
        { userId: new Types.ObjectId(userId), revokedAt: null },
        { $set: { revokedAt: now } },
      );
    },

    async deleteExpired(now) {
      // The TTL index does this too, but only once a minute.
      await RefreshToken.deleteMany({ expiresAt: mongoose.trusted({ $lte: now }) });
    },
  };
}

export function createMongoAccessTokenDenylist(): AccessTokenDenylist {
  return {
    async add(jti, expiresAt) {
      await DeniedAccessToken.updateOne({ jti }, { $setOnInsert: { jti, expiresAt } }, { upsert: true });
    },

    async has(jti) {
      return (await DeniedAccessToken.exists({ jti })) !== null;
    },

    async deleteExpired(now) {
      await DeniedAccessToken.deleteMany({ expiresAt: mongoose.trusted({ $lte: now }) });
    },
  };
}

function toRecord(token: RefreshTokenDocument): RefreshTokenRecord {
  return {
    tokenHash: token.tokenHash,
    familyId: token.familyId,
    userId: token.userId.toString(),
    expiresAt: token.expiresAt,
    familyExpiresAt: token.familyExpiresAt,
    usedAt: token.usedAt,
    revokedAt: token.revokedAt,
  };
}
