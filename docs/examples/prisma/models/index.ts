import { PrismaClient } from '@prisma/client';
import type { AuthStores } from '../services/authService.js';
import { createPrismaAccessTokenDenylist, createPrismaRefreshTokenStore } from './tokenBlacklist.js';
import { createPrismaUserStore } from './user.js';

/**
 * Replaces the generated models/index.ts: the auth service calls openAuthStores() once at start-up.
 * Pass the app's own PrismaClient to share its connection pool; otherwise one is created here.
 * Tables come from schema.prisma: run `npx prisma migrate deploy` (or `db push`) before starting.
 */
export async function openAuthStores(prisma?: PrismaClient): Promise<AuthStores> {
  const ownsClient = prisma === undefined;
  const client = prisma ?? new PrismaClient();
  try {
    // Fail start-up now, not on the first request, when DATABASE_URL is wrong or the server is down.
    await client.$connect();
  } catch (error) {
    throw new Error(`Could not connect to the database at DATABASE_URL (${describeError(error)})`);
  }
  return {
    users: createPrismaUserStore(client),
    refreshTokens: createPrismaRefreshTokenStore(client),
    denylist: createPrismaAccessTokenDenylist(client),
    close: async () => {
      if (ownsClient) await client.$disconnect();
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
