import { MemoryStore, type IncrementResponse, type Options, type Store } from 'express-rate-limit';
import { noteRedisFailure, redis, redisKey } from './redis.js';

/**
 * express-rate-limit counters in Redis, shared by every instance (fixed window per key). While Redis is
 * unreachable, each call falls back to counters in this process: the limits keep holding per instance
 * (at worst N times the limit with N instances) and sign-in stays available. The next call after Redis
 * is back uses Redis again.
 */

// First hit of a window starts its expiry; returns the count and the milliseconds left in the window.
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }`;

// A success refunds its hit (skipSuccessfulRequests), but never recreates a key that already expired.
const DECREMENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECR', KEYS[1]) end
return 0`;

export class RedisRateLimitStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private readonly fallback = new MemoryStore();
  private windowMs = 60_000;

  /** `limiter` names the counter set: login-ip, login-account, register-ip or refresh-ip. */
  constructor(limiter: string) {
    this.prefix = redisKey('rl', limiter, '');
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
    this.fallback.init(options);
  }

  async increment(key: string): Promise<IncrementResponse> {
    try {
      const reply = await redis().eval(INCREMENT, 1, this.prefix + key, String(this.windowMs));
      const [hits, ttl] = reply as number[];
      return { totalHits: Number(hits), resetTime: new Date(Date.now() + Number(ttl)) };
    } catch (error) {
      noteRedisFailure(error);
      return this.fallback.increment(key);
    }
  }

  async decrement(key: string): Promise<void> {
    try {
      await redis().eval(DECREMENT, 1, this.prefix + key);
    } catch (error) {
      noteRedisFailure(error);
      await this.fallback.decrement(key);
    }
  }

  async resetKey(key: string): Promise<void> {
    try {
      await redis().del(this.prefix + key);
    } catch (error) {
      noteRedisFailure(error);
    }
    await this.fallback.resetKey(key);
  }

  shutdown(): void {
    this.fallback.shutdown();
  }
}
