// Where a path led (a script and its PATH_INFO, an index script, or not a script), remembered
// for `revalidateMs`: finding it costs three file system calls (realpath of the file and of the
// root, stat), more than the rest of the request. nginx checks nothing before passing a script
// to PHP, and PHP keeps its own realpath cache for 120 s; here the window is short and bounded.
import type { Located } from "./locate.ts";

/** Paths remembered at most; past it the oldest go first. */
export const MAX_ENTRIES = 4096;

interface Entry {
  readonly located: Located;
  readonly until: number;
}

export class LocateCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(path: string, now: number): Located | undefined {
    if (this.#ttlMs === 0) return undefined;
    const entry = this.#entries.get(path);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry.located;
    this.#entries.delete(path);
    return undefined;
  }

  set(path: string, located: Located, now: number): void {
    if (this.#ttlMs === 0) return;
    // A refusal that came from a failure other than "not there" (EACCES...) is not kept.
    if (located.kind === "refuse" && located.status !== 404) return;
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(path, { located, until: now + this.#ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
