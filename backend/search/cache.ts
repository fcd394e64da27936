// A small, bounded cache of values that take a while to load (the search's name lists): one load
// per key at a time (later askers share it), kept for ttlMs once it settles, dropped at once if it
// fails. Bounded by entries and by total weight (names held), oldest out first. Keys are the
// caller's: the search puts the person and their identity on the cluster in every key, so one
// person's lists are never another's answer.

export interface CacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** The most total weight held by settled entries. */
  maxWeight: number;
  now?: () => number;
}

/** What a loader returns: the value at once, and when it is complete, its weight. */
export interface Loading<T> {
  value: T;
  /** Resolves with the value's weight once complete; a rejection drops the entry. */
  settled: Promise<number>;
}

interface Entry<T> {
  value: T;
  /** Infinity while loading. */
  expires: number;
  weight: number;
}

export class LoadCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  #weight = 0;
  readonly #now: () => number;

  constructor(private readonly opts: CacheOptions) {
    this.#now = opts.now ?? Date.now;
  }

  /** The cached (or loading) value of `key`, else the one `load` starts. */
  get(key: string, load: () => Loading<T>): T {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#now()) return hit.value;
    if (hit) this.#delete(key);
    const { value, settled } = load();
    const entry: Entry<T> = { value, expires: Infinity, weight: 0 };
    this.#entries.set(key, entry);
    settled.then(
      (weight) => {
        if (this.#entries.get(key) !== entry) return;
        entry.expires = this.#now() + this.opts.ttlMs;
        entry.weight = weight;
        this.#weight += weight;
        this.#bound();
      },
      () => {
        if (this.#entries.get(key) === entry) this.#delete(key);
      },
    );
    this.#bound();
    return value;
  }

  /** The live (or loading) value of `key`, if any, without loading. */
  peek(key: string): T | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.expires > this.#now() ? hit.value : undefined;
  }

  /** Entries held (loading ones included) and their total weight. */
  get size(): { entries: number; weight: number } {
    return { entries: this.#entries.size, weight: this.#weight };
  }

  #delete(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#weight -= e.weight;
    this.#entries.delete(key);
  }

  /** Expired entries out, then the oldest until within both bounds. */
  #bound(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.expires <= now) this.#delete(k);
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.opts.maxEntries && this.#weight <= this.opts.maxWeight) break;
      this.#delete(k);
    }
  }
}
