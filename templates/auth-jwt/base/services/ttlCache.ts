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
