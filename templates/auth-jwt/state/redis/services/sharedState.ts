import type { Store } from 'express-rate-limit';
import type { AuthConfig } from '../config/auth.js';
import type { AccessCache } from './authService.js';
import { closeRedis, waitForRedis } from './redis.js';
import { RedisAccessCache } from './redisAccessCache.js';
import { RedisRateLimitStore } from './redisRateLimitStore.js';

/**
 * State the auth kit keeps between requests, shared by every instance through Redis (REDIS_URL):
 * rate-limit counters and the per-request revocation checks. Users and refresh tokens stay in the
 * database.
 */

/** At start-up: an unreachable REDIS_URL stops the app with a message naming it. */
export async function connectSharedState(): Promise<void> {
  await waitForRedis();
}

export async function closeSharedState(): Promise<void> {
  await closeRedis();
}

/** The argument names the limiter (login-ip, login-account, register-ip, refresh-ip). */
export function createRateLimitStore(limiter: string): Store {
  return new RedisRateLimitStore(limiter);
}

export function createAccessCache(config: AuthConfig): AccessCache {
  return new RedisAccessCache(config);
}
