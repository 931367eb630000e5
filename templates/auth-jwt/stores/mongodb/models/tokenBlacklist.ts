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
  tokenVersion: number;
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
    // Documents saved before this field existed count as version 0.
    tokenVersion: { type: Number, required: true, default: 0 },
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

    // Without a multi-document transaction (it needs a replica set), the successor is saved first and
    // the presented token claimed second: a revocation of the family at any point in between sees the
    // successor, and a claim that fails (another refresh won, or the family was revoked) deletes it again.
    // All conditions of the claim sit in the filter of one findOneAndUpdate, so of two concurrent refreshes
    // with the same token only one can match.
    async rotate(tokenHash, now, successor, concurrentSince) {
      const presented = await RefreshToken.findOne(liveFilter(tokenHash, now, concurrentSince)).lean<RefreshTokenDocument>();
      if (!presented) return null;
      await RefreshToken.create({
        tokenHash: successor.tokenHash,
        familyId: presented.familyId,
        userId: presented.userId,
        expiresAt: successor.expiresAt < presented.familyExpiresAt ? successor.expiresAt : presented.familyExpiresAt,
        familyExpiresAt: presented.familyExpiresAt,
        tokenVersion: presented.tokenVersion ?? 0,
      });
      const claimed = await RefreshToken.findOneAndUpdate(
        liveFilter(tokenHash, now, undefined),
        { $set: { usedAt: now, replacedBy: successor.tokenHash } },
      ).lean<RefreshTokenDocument>();
      if (claimed) return toRecord(claimed);
      // Used meanwhile: still fine inside the grace window, as long as nothing was revoked.
      const concurrent = concurrentSince
        ? await RefreshToken.findOne(liveFilter(tokenHash, now, concurrentSince)).lean<RefreshTokenDocument>()
        : null;
      if (concurrent?.usedAt) return toRecord(concurrent);
      await RefreshToken.deleteOne({ tokenHash: successor.tokenHash });
      return null;
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

/** Not revoked, not expired, and unused or (with `usedSince`) used no earlier than that. */
function liveFilter(tokenHash: string, now: Date, usedSince: Date | undefined) {
  return {
    tokenHash,
    revokedAt: null,
    expiresAt: mongoose.trusted({ $gt: now }),
    ...(usedSince ? { $or: [{ usedAt: null }, { usedAt: mongoose.trusted({ $gte: usedSince }) }] } : { usedAt: null }),
  };
}

function toRecord(token: RefreshTokenDocument): RefreshTokenRecord {
  return {
    tokenHash: token.tokenHash,
    familyId: token.familyId,
    userId: token.userId.toString(),
    expiresAt: token.expiresAt,
    familyExpiresAt: token.familyExpiresAt,
    // lean() applies no schema defaults: documents saved before the field existed read as version 0.
    tokenVersion: token.tokenVersion ?? 0,
    usedAt: token.usedAt,
    revokedAt: token.revokedAt,
  };
}
