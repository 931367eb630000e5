import mongoose from 'mongoose';
import { readStoreSetting } from '../config/auth.js';
import type { AuthStores } from '../services/authService.js';
import { createMongoAccessTokenDenylist, createMongoRefreshTokenStore, DeniedAccessToken, RefreshToken } from './tokenBlacklist.js';
import { createMongoUserStore, User } from './user.js';

// Fail start-up within seconds when MongoDB is unreachable, instead of the 30 s default. The auth
// schemas also turn off mongoose's command buffering, so while MongoDB is down their queries fail
// after this same server selection timeout (the routes answer 503) instead of queueing.
const SERVER_SELECTION_TIMEOUT_MS = 5_000;

/** Connects mongoose to MONGODB_URI (or reuses the app's connection) and builds the indexes. */
export async function openAuthStores(): Promise<AuthStores> {
  const uri = readStoreSetting('MONGODB_URI');
  // Reuse the connection if the app opened (or is opening) one itself.
  const ownsConnection = mongoose.connection.readyState === mongoose.ConnectionStates.disconnected;
  try {
    if (ownsConnection) {
      await mongoose.connect(uri, { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS });
    } else {
      await mongoose.connection.asPromise();
    }
    // The unique indexes must exist before the first sign-up, or duplicates could slip in; the TTL
    // indexes expire old tokens. init() skips them when the app turned autoIndex off, so ask explicitly.
    const models = [User, RefreshToken, DeniedAccessToken] as const;
    await Promise.all(models.map((model) => model.init()));
    await Promise.all(models.map((model) => model.createIndexes()));
  } catch (error) {
    throw new Error(`Could not connect to MongoDB at MONGODB_URI (${describeError(error)})`);
  }

  return {
    users: createMongoUserStore(),
    refreshTokens: createMongoRefreshTokenStore(),
    denylist: createMongoAccessTokenDenylist(),
    close: async () => {
      if (ownsConnection) await mongoose.disconnect();
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
