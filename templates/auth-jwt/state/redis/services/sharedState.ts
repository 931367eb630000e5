import type { Store } from 'express-rate-limit';
import type { AuthConfig } from '../config/auth.js';
import type { AccessCache } from './authService.js';
import { closeRedis, noteRedisFailure, redis, redisKey, waitForRedis } from './redis.js';
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

/** Keys (already hashed) that expire: here, which IPs recently signed in to which account. */
export interface KnownClients {
  has(key: string): Promise<boolean>;
  add(key: string, ttlMs: number): Promise<void>;
}

/** Shared by every instance. While Redis is down nobody is known: the per-account limit then applies to all. */
export function createKnownClients(): KnownClients {
  return {
    async has(key) {
      try {
        return (await redis().exists(redisKey('known', key))) === 1;
      } catch (error) {
        noteRedisFailure(error);
        return false;
      }
    },
    async add(key, ttlMs) {
      try {
        await redis().set(redisKey('known', key), '1', 'PX', ttlMs);
      } catch (error) {
        noteRedisFailure(error);
      }
    },
  };
}

export function createAccessCache(config: AuthConfig): AccessCache {
  return new RedisAccessCache(config);
}
