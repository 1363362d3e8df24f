// The small-file cache (DESIGN §11): per request path, the file's bytes (and its precompressed
// siblings'), their prebuilt header values and ready Response values, so that a hit is one Map
// lookup and a time check. Bounded by entry count and bytes; eviction is CLOCK (second chance):
// a hit only sets a flag, rather than re-ordering the Map on every request as strict LRU would.
import type { Response } from "../../core/http/response.ts";
import type { Coding } from "./encoding.ts";
import type { Variant } from "./variant.ts";

export interface CachedVariant {
  readonly variant: Variant;
  readonly body: Buffer;
  /** The plain 200, shared by every request that has no conditional or Range field. */
  readonly ok: Response;
}

export interface Entry {
  readonly key: string;
  /** When the disk was last checked (ms); the entry is served without looking until checkedAt + revalidateMs. */
  checkedAt: number;
  /** Set on a hit; cleared by the eviction sweep (second chance). */
  used: boolean;
  /** Bytes charged against maxBytes. */
  readonly bytes: number;
  /** What the disk looked like (real paths and stamps of every variant); equal means unchanged. */
  readonly fingerprint: string;
  readonly identity: CachedVariant;
  /** Precompressed siblings, in the server's order of preference. */
  readonly encoded: readonly CachedVariant[];
  readonly codings: readonly Coding[];
}

/** Bytes an entry costs besides its bodies (objects, header strings), an estimate. */
const ENTRY_OVERHEAD = 1024;

export interface CacheLimits {
  readonly maxFileBytes: number;
  readonly maxBytes: number;
  readonly maxEntries: number;
}

export class FileCache {
  readonly #map = new Map<string, Entry>();
  readonly #limits: CacheLimits;
  #bytes = 0;

  constructor(limits: CacheLimits) {
    this.#limits = limits;
  }

  /** Whether files of these sizes may be cached at all. */
  admits(sizes: readonly number[]): boolean {
    const l = this.#limits;
    if (l.maxEntries === 0) return false;
    let total = ENTRY_OVERHEAD;
    for (const size of sizes) {
      if (size > l.maxFileBytes) return false;
      total += size;
    }
    return total <= l.maxBytes;
  }

  static cost(key: string, bodies: readonly Buffer[]): number {
    let bytes = ENTRY_OVERHEAD + key.length * 2;
    for (const b of bodies) bytes += b.length;
    return bytes;
  }

  get(key: string): Entry | undefined {
    return this.#map.get(key);
  }

  get size(): number {
    return this.#map.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  set(entry: Entry): void {
    this.delete(entry.key);
    if (entry.bytes > this.#limits.maxBytes || this.#limits.maxEntries === 0) return;
    entry.used = false;
    this.#map.set(entry.key, entry);
    this.#bytes += entry.bytes;
    this.#evict(entry.key);
  }

  delete(key: string): void {
    const old = this.#map.get(key);
    if (old === undefined) return;
    this.#map.delete(key);
    this.#bytes -= old.bytes;
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  /** Drops entries until the limits hold; never `keep`, the entry just added. */
  #evict(keep: string): void {
    const { maxBytes, maxEntries } = this.#limits;
    if (this.#map.size <= maxEntries && this.#bytes <= maxBytes) return;
    // Map order is insertion order: the oldest first. A used entry gets a second chance (moved
    // to the end, flag cleared); the first unused one goes. Re-inserted entries come round again
    // in the same pass, so the loop ends.
    for (const [key, entry] of this.#map) {
      if (this.#map.size <= maxEntries && this.#bytes <= maxBytes) return;
      if (key === keep) continue;
      this.#map.delete(key);
      if (entry.used) {
        entry.used = false;
        this.#map.set(key, entry);
      } else {
        this.#bytes -= entry.bytes;
      }
    }
  }
}
