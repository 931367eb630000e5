import mongoose, { Schema, type Types } from 'mongoose';
import {
  DuplicateEmailError,
  type User as AuthUserRecord,
  type UserStore,
  type UserWithPasswordHash,
} from '../services/authService.js';
import { sanitizeQueryFilters } from './sanitizeFilter.js';

export interface UserDocument {
  /** Stored normalized (trimmed, lower-case, NFC) by the auth service. */
  email: string;
  passwordHash: string;
  role: string;
  tokenVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserDocument>(
  {
    // The unique index makes MongoDB, not a read-then-write check, reject a second sign-up.
    email: { type: String, required: true, unique: true, maxlength: 254 },
    // Never loaded unless a query asks for it with `.select('+passwordHash')`.
    passwordHash: { type: String, required: true, select: false },
    role: { type: String, required: true, default: 'user' },
    tokenVersion: { type: Number, required: true, default: 0 },
  },
  { timestamps: true, bufferCommands: false },
);
sanitizeQueryFilters(userSchema);

// Named AuthUser (collection auth_users) so it never collides with a `User` model of the app.
export const User = mongoose.model<UserDocument>('AuthUser', userSchema, 'auth_users');

const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/i;
const DUPLICATE_KEY = 11000;

type UserLean = Omit<UserDocument, 'passwordHash'> & { _id: Types.ObjectId; passwordHash?: string };

export function createMongoUserStore(): UserStore {
  return {
    async create({ email, passwordHash }) {
      try {
        const user = await User.create({ email, passwordHash });
        return toUser(user.toObject());
      } catch (error) {
        if (isDuplicateKeyError(error)) throw new DuplicateEmailError();
        throw error;
      }
    },

    async findByEmail(email) {
      const user = await User.findOne({ email }).select('+passwordHash').lean<UserLean>();
      return user ? toUserWithPasswordHash(user) : null;
    },

    async findById(id) {
      // Lets a malformed id miss instead of raising a CastError.
      if (!OBJECT_ID_PATTERN.test(id)) return null;
      const user = await User.findById(id).lean<UserLean>();
      return user ? toUser(user) : null;
    },

    async incrementTokenVersion(id) {
      if (!OBJECT_ID_PATTERN.test(id)) return;
      await User.updateOne({ _id: id }, { $inc: { tokenVersion: 1 } });
    },

    async updatePasswordHash(id, passwordHash, expected) {
      if (!OBJECT_ID_PATTERN.test(id)) return false;
      const result = await User.updateOne({ _id: id, passwordHash: expected }, { $set: { passwordHash } });
      return result.modifiedCount === 1;
    },
  };
}

function toUser(user: UserLean): AuthUserRecord {
  return {
    id: user._id.toString(),
    email: user.email,
    role: user.role,
    tokenVersion: user.tokenVersion,
    createdAt: user.createdAt,
  };
}

function toUserWithPasswordHash(user: UserLean): UserWithPasswordHash {
  if (typeof user.passwordHash !== 'string') throw new Error('passwordHash was not selected');
  return { ...toUser(user), passwordHash: user.passwordHash };
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}
