import type { AccessCache, AccessCheck, User } from './authService.js';

// A revoked token stays revoked while the verifier would still accept it: until exp plus its clock tolerance.
const CLOCK_TOLERANCE_MS = 30_000;

/**
 * A small in-process map whose entries expire. `generation` lets a caller that loaded a value from the
 * store skip caching it when the key was invalidated during the load, so a revocation cannot be undone
 * by a slower request that read the old value.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private generationCounter = 0;

  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }

  get generation(): number {
    return this.generationCounter;
  }

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores the value unless `generation` is given and something was invalidated since it was read. */
  set(key: string, value: V, expiresAt: number, generation?: number): void {
    if (generation !== undefined && generation !== this.generationCounter) return;
    if (expiresAt <= Date.now()) return;
    this.entries.delete(key); // re-insert at the end: the Map's order is the eviction order
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > this.maxEntries) this.evict();
  }

  delete(key: string): void {
    this.generationCounter++;
    this.entries.delete(key);
  }

  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
    // Still full: drop the oldest entries. Losing one only costs a store lookup.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}

/**
 * The default AccessCache: this process only. Revocations made here take effect here at once; other
 * instances notice them within the TTL (`AUTH_USER_CACHE_TTL`). Revoked jtis are kept until they expire.
 */
export class InProcessAccessCache implements AccessCache {
  private readonly users = new TtlCache<User>();
  private readonly deniedJtis = new TtlCache<true>();
  private readonly allowedJtis = new TtlCache<true>();
  private readonly ttlSeconds: number;

  constructor(ttlSeconds: number) {
    this.ttlSeconds = ttlSeconds;
  }

  peek(userId: string, jti: string): Pick<AccessCheck, 'user' | 'denied'> {
    return {
      user: this.users.get(userId),
      denied: this.deniedJtis.get(jti) ? true : this.allowedJtis.get(jti) ? false : undefined,
    };
  }

  async lookup(userId: string, jti: string, expiresAt: Date): Promise<AccessCheck> {
    const userGeneration = this.users.generation;
    const jtiGeneration = this.allowedJtis.generation;
    return {
      ...this.peek(userId, jti),
      remember: async ({ user, denied }) => {
        const until = Date.now() + this.ttlSeconds * 1000;
        if (user) this.users.set(userId, user, until, userGeneration);
        if (denied) this.rememberDenied(jti, expiresAt);
        else this.allowedJtis.set(jti, true, until, jtiGeneration);
      },
    };
  }

  async beginUserChange(userId: string): Promise<(reload: () => Promise<User | null>) => Promise<void>> {
    this.users.delete(userId);
    // Deleted again afterwards: a request that read the old version meanwhile must not cache it.
    return async () => this.users.delete(userId);
  }

  async denyJti(jti: string, expiresAt: Date): Promise<void> {
    this.rememberDenied(jti, expiresAt);
  }

  private rememberDenied(jti: string, expiresAt: Date): void {
    this.allowedJtis.delete(jti);
    this.deniedJtis.set(jti, true, expiresAt.getTime() + CLOCK_TOLERANCE_MS);
  }
}
