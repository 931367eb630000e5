import { Prisma, type AuthUser, type PrismaClient } from '@prisma/client';
import { DuplicateEmailError, type User, type UserStore, type UserWithPasswordHash } from '../services/authService.js';

/** Prisma's code for a unique constraint violation (PostgreSQL 23505 underneath). */
const UNIQUE_VIOLATION = 'P2002';
// A malformed id (from an old or foreign token) must miss, not make PostgreSQL reject the uuid cast.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createPrismaUserStore(prisma: PrismaClient): UserStore {
  return {
    async create({ email, passwordHash }) {
      try {
        // No findUnique first: the unique index decides, so two simultaneous sign-ups cannot both win.
        return toUser(await prisma.authUser.create({ data: { email, passwordHash } }));
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === UNIQUE_VIOLATION) {
          throw new DuplicateEmailError();
        }
        throw error;
      }
    },

    async findByEmail(email) {
      const user = await prisma.authUser.findUnique({ where: { email } });
      return user ? toUserWithPasswordHash(user) : null;
    },

    async findById(id) {
      if (!UUID_PATTERN.test(id)) return null;
      const user = await prisma.authUser.findUnique({ where: { id } });
      return user ? toUser(user) : null;
    },

    async incrementTokenVersion(id) {
      if (!UUID_PATTERN.test(id)) return;
      // updateMany: an unknown id is a no-op instead of Prisma's "record not found" error.
      await prisma.authUser.updateMany({ where: { id }, data: { tokenVersion: { increment: 1 } } });
    },

    // Compare-and-set: the WHERE holds the hash the caller checked, so of two changes only one applies.
    async updatePasswordHash(id, passwordHash, expected) {
      if (!UUID_PATTERN.test(id)) return false;
      const { count } = await prisma.authUser.updateMany({ where: { id, passwordHash: expected }, data: { passwordHash } });
      return count === 1;
    },
  };
}

/** Field by field, so the password hash never rides along by accident. */
function toUser(user: AuthUser): User {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    tokenVersion: user.tokenVersion,
    createdAt: user.createdAt,
  };
}

function toUserWithPasswordHash(user: AuthUser): UserWithPasswordHash {
  return { ...toUser(user), passwordHash: user.passwordHash };
}
