import { MemoryStore, type Store } from 'express-rate-limit';
import type { AuthConfig } from '../config/auth.js';
import type { AccessCache } from './authService.js';
import { InProcessAccessCache, TtlCache } from './ttlCache.js';

/**
 * State the auth kit keeps between requests, here in this process only: right for one instance. Scaffold
 * with `backternity add auth-jwt --redis` to share it between instances.
 */

let warned = false;

/** At start-up: several production instances would each count and cache on their own, so say so once. */
export async function connectSharedState(): Promise<void> {
  if (process.env['NODE_ENV'] !== 'production' || warned) return;
  warned = true;
  console.warn(
    '[auth] Rate limits and revocation caches are per process: with several instances, each counts failed ' +
      'logins on its own and may accept a revoked access token for up to AUTH_USER_CACHE_TTL. ' +
      'Share them with Redis: backternity add auth-jwt --redis',
  );
}

export async function closeSharedState(): Promise<void> {}

/** The argument names the limiter (login-ip, login-account, register-ip, refresh-ip). */
export function createRateLimitStore(_limiter: string): Store {
  return new MemoryStore();
}

/** Keys (already hashed) that expire: here, which IPs recently signed in to which account. */
export interface KnownClients {
  has(key: string): Promise<boolean>;
  add(key: string, ttlMs: number): Promise<void>;
}

export function createKnownClients(): KnownClients {
  const known = new TtlCache<true>(100_000);
  return {
    has: async (key) => known.get(key) === true,
    add: async (key, ttlMs) => known.set(key, true, Date.now() + ttlMs),
  };
}

export function createAccessCache(config: AuthConfig): AccessCache {
  return new InProcessAccessCache(config.userCacheTtlSeconds);
}
