// Failed logins per client: after `maxFailures` within a window, the client is told to wait
// (429 + Retry-After, RFC 6585 §4) instead of being allowed to keep guessing passwords.
// Guesses still being hashed count too (`pending`): otherwise a client could send hundreds at
// once, all checked before the first failure is counted.
import { isIPv6 } from "node:net";

interface Window {
  /** When the window opened (its first failure or attempt), ms. */
  start: number;
  failures: number;
  /** Attempts being verified now. */
  pending: number;
}

/** Clients tracked at once; past this, the oldest windows are forgotten first. */
const MAX_CLIENTS = 10_000;

export class Throttle {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clients = new Map<string, Window>();

  constructor(maxFailures: number, windowSeconds: number) {
    this.#max = maxFailures;
    this.#windowMs = windowSeconds * 1000;
  }

  /** Seconds the client must wait because of its failures, or 0 when it may go on. */
  retryAfter(address: string, now = Date.now()): number {
    if (this.#max === 0 || this.#clients.size === 0) return 0;
    const w = this.#live(clientKey(address), now);
    return w !== undefined && w.failures >= this.#max ? this.#left(w, now) : 0;
  }

  /**
   * A new guess is about to be verified: 0 when it may be (it is then pending until end()),
   * else the seconds to wait, counting the client's guesses still being verified.
   */
  begin(address: string, now = Date.now()): number {
    if (this.#max === 0) return 0;
    const w = this.#window(clientKey(address), now);
    if (w.failures + w.pending >= this.#max) return w.failures >= this.#max ? this.#left(w, now) : 1;
    w.pending++;
    return 0;
  }

  /** A guess from begin() was verified. */
  end(address: string, ok: boolean, now = Date.now()): void {
    if (this.#max === 0) return;
    const w = this.#clients.get(clientKey(address));
    if (w !== undefined && w.pending > 0) w.pending--;
    if (!ok) this.fail(address, now);
  }

  /** Counts a failed attempt that needed no verification (credentials that cannot be parsed). */
  fail(address: string, now = Date.now()): void {
    if (this.#max === 0) return;
    this.#window(clientKey(address), now).failures++;
  }

  #left(w: Window, now: number): number {
    return Math.max(1, Math.ceil((w.start + this.#windowMs - now) / 1000));
  }

  /** The client's window if it is still open; an expired one is dropped (or restarted while guesses are pending). */
  #live(key: string, now: number): Window | undefined {
    const w = this.#clients.get(key);
    if (w === undefined || w.start + this.#windowMs > now) return w;
    if (w.pending === 0) {
      this.#clients.delete(key);
      return undefined;
    }
    w.start = now;
    w.failures = 0;
    return w;
  }

  #window(key: string, now: number): Window {
    const live = this.#live(key, now);
    if (live !== undefined) return live;
    const w: Window = { start: now, failures: 0, pending: 0 };
    this.#clients.set(key, w);
    // Insertion order is window-start order: the first entries are the oldest.
    if (this.#clients.size > MAX_CLIENTS) {
      for (const [k, old] of this.#clients) {
        if (this.#clients.size <= MAX_CLIENTS && old.start + this.#windowMs > now) break;
        this.#clients.delete(k);
      }
    }
    return w;
  }
}

/**
 * The throttling key of an address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 — one
 * host usually holds a whole /64, so counting single addresses would let it rotate freely.
 */
export function clientKey(address: string): string {
  if (!isIPv6(address)) return address;
  const lower = address.toLowerCase();
  if (lower.startsWith("::ffff:") && lower.indexOf(".") !== -1) return lower.slice(7);
  const [head = "", tail] = lower.split("::") as [string, string | undefined];
  const left = head === "" ? [] : head.split(":");
  let groups = left;
  if (tail !== undefined) {
    const right = tail === "" ? [] : tail.split(":");
    groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  }
  return `${groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16)).join(":")}::/64`;
}
