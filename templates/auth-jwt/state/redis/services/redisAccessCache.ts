import { randomUUID } from 'node:crypto';
import type { AuthConfig } from '../config/auth.js';
import type { AccessCache, AccessCheck, User } from './authService.js';
import { noteRedisFailure, redis, redisKey, redisServer } from './redis.js';

/**
 * Per-request checks served from Redis, shared by every instance, so a revocation on one instance
 * holds on all of them at once.
 *
 * - `user:<id>`: the user (with its token version) as JSON for AUTH_USER_CACHE_TTL, or `pending:<nonce>`
 *   while a revocation is changing the database: then every instance asks the database.
 * - `jti:<jti>`: `1` for a revoked access token (until it expires), `0` for one the database said is not.
 * - `jti-complete-at:<run id>`: from when on this run of the Redis server holds every revoked jti.
 *   Revocations written before it (first start, a restart without persistence or from an older snapshot,
 *   a flush) are only in the database, so until then a jti Redis does not know is checked in the database.
 *   The run id in the key makes a restart start a new period even when a snapshot brought the old key
 *   back; a server that may evict keys (any maxmemory-policy but noeviction) is never trusted to be complete.
 *
 * While Redis is unreachable, lookups fall back to the database (the source of truth) and revocations
 * throw (503) before anything is changed, so Redis never misses one.
 */

const CLOCK_TOLERANCE_MS = 30_000; // the verifier's: a revoked token stays revoked until exp + 30 s
const PENDING_TTL_MS = 30_000; // longer than any database change takes; afterwards readers repopulate
const PENDING = 'pending:';
const KEEP_COMPLETE_MARK_MS = 30 * 86_400_000;

// Replaces the user only if this revocation's marker is still there, the key is gone, or it holds an
// older token version. Another revocation's marker stays: that one writes the final value.
const FINISH_USER_CHANGE = `
local current = redis.call('GET', KEYS[1])
local replace = current == false or current == ARGV[1]
if not replace and string.sub(current, 1, ${PENDING.length}) ~= '${PENDING}' then
  replace = cjson.decode(current).tokenVersion < tonumber(ARGV[3])
end
if replace then
  if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4]) end
end
return 0`;

export class RedisAccessCache implements AccessCache {
  private readonly userTtlMs: number;
  private readonly accessTokenTtlMs: number;

  constructor(config: AuthConfig) {
    this.userTtlMs = config.userCacheTtlSeconds * 1000;
    this.accessTokenTtlMs = config.accessTokenTtlSeconds * 1000;
  }

  async lookup(userId: string, jti: string, expiresAt: Date): Promise<AccessCheck> {
    const runId = redisServer.runId;
    const trustComplete = runId !== undefined && redisServer.evictionSafe;
    const keys = { user: redisKey('user', userId), jti: redisKey('jti', jti), complete: redisKey('jti-complete-at', runId ?? 'unknown') };
    let values: Array<string | null>;
    try {
      values = await redis().mget(keys.user, keys.jti, keys.complete);
    } catch (error) {
      noteRedisFailure(error);
      return { remember: async () => {} }; // everything from the database, nothing cached
    }
    const [cachedUser = null, cachedJti = null, completeAt = null] = values;
    const jtisComplete = trustComplete && completeAt !== null && Number(completeAt) <= Date.now();
    if (trustComplete && completeAt === null) this.startCompletePeriod(keys.complete);
    const denied = cachedJti === '1' ? true : cachedJti === '0' || jtisComplete ? false : undefined;
    const fill = { user: cachedUser === null, jti: denied === undefined };
    return {
      user: cachedUser !== null && !cachedUser.startsWith(PENDING) ? parseUser(cachedUser) : undefined,
      denied,
      remember: (loaded) => this.remember(keys, loaded, fill, expiresAt),
    };
  }

  async beginUserChange(userId: string): Promise<(reload: () => Promise<User | null>) => Promise<void>> {
    const key = redisKey('user', userId);
    const marker = `${PENDING}${randomUUID()}`;
    await this.orFail(redis().set(key, marker, 'PX', PENDING_TTL_MS));
    return async (reload) => {
      const user = this.userTtlMs > 0 ? await reload() : null;
      const value = user ? JSON.stringify(user) : '';
      await this.orFail(
        redis().eval(FINISH_USER_CHANGE, 1, key, marker, value, String(user?.tokenVersion ?? 0), String(this.userTtlMs)),
      );
    };
  }

  async denyJti(jti: string, expiresAt: Date): Promise<void> {
    const ttl = expiresAt.getTime() + CLOCK_TOLERANCE_MS - Date.now();
    if (ttl > 0) await this.orFail(redis().set(redisKey('jti', jti), '1', 'PX', ttl));
  }

  /** NX everywhere: a value a revocation wrote meanwhile is never overwritten with what was read before it. */
  private async remember(
    keys: { user: string; jti: string },
    loaded: { user: User | null; denied: boolean },
    fill: { user: boolean; jti: boolean },
    expiresAt: Date,
  ): Promise<void> {
    const pipeline = redis().pipeline();
    if (fill.user && loaded.user && this.userTtlMs > 0) {
      pipeline.set(keys.user, JSON.stringify(loaded.user), 'PX', this.userTtlMs, 'NX');
    }
    const jtiTtl = loaded.denied ? expiresAt.getTime() + CLOCK_TOLERANCE_MS - Date.now() : this.userTtlMs;
    if (fill.jti && jtiTtl > 0) pipeline.set(keys.jti, loaded.denied ? '1' : '0', 'PX', jtiTtl, 'NX');
    if (pipeline.length === 0) return;
    try {
      await pipeline.exec();
    } catch (error) {
      noteRedisFailure(error); // only a cache fill: the answer stands
    }
  }

  /**
   * Revocations a Redis without data may have missed are at most one access-token lifetime old. The key
   * expires after 30 days, so marks of runs long gone do not pile up; a later run has its own key.
   */
  private startCompletePeriod(key: string): void {
    const completeAt = Date.now() + this.accessTokenTtlMs + CLOCK_TOLERANCE_MS;
    redis()
      .set(key, String(completeAt), 'PX', KEEP_COMPLETE_MARK_MS, 'NX')
      .catch((error: unknown) => noteRedisFailure(error));
  }

  private async orFail<T>(command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch (error) {
      noteRedisFailure(error);
      throw error;
    }
  }
}

function parseUser(json: string): User {
  const user = JSON.parse(json) as Omit<User, 'createdAt'> & { createdAt: string };
  return { ...user, createdAt: new Date(user.createdAt) };
}
