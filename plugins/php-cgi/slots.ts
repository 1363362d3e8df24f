// The concurrency limit: at most `limit` scripts at once, at most `queue` requests waiting for
// one, each for at most `timeoutMs`. Waiters are served first come, first served, so the
// oldest is always first: one timer, set for the oldest, bounds them all.
import { PlugdError } from "../../core/errors.ts";
import type { Cancel } from "./cancel.ts";

class Waiter {
  readonly deadline: number;
  readonly cancel: Cancel;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;

  constructor(deadline: number, cancel: Cancel, resolve: () => void, reject: (err: Error) => void) {
    this.deadline = deadline;
    this.cancel = cancel;
    this.resolve = resolve;
    this.reject = reject;
  }
}

export class Slots {
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #timeoutMs: number;
  #busy = 0;
  #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(limit: number, queueLimit: number, timeoutMs: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
    this.#timeoutMs = timeoutMs;
  }

  get limit(): number {
    return this.#limit;
  }

  get busy(): number {
    return this.#busy;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes a slot now when one is free (the common case: no promise). */
  tryAcquire(): boolean {
    if (this.#busy < this.#limit && this.#waiting.length === 0) {
      this.#busy++;
      return true;
    }
    return false;
  }

  /**
   * Waits for a slot. Rejects with PLUGD_ERR_PHP_OVERLOADED when the queue is full or the wait
   * outlasts timeoutMs, and with the cancel's reason when the request is given up meanwhile.
   */
  acquire(cancel: Cancel): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.#waiting.length >= this.#queueLimit) {
      return Promise.reject(new PlugdError("PLUGD_ERR_PHP_OVERLOADED", `all ${this.#limit} script slots are busy and ${this.#waiting.length} requests wait`));
    }
    if (cancel.reason !== undefined) return Promise.reject(cancel.reason);
    return new Promise((resolve, reject) => {
      const waiter = new Waiter(Date.now() + this.#timeoutMs, cancel, resolve, reject);
      this.#waiting.push(waiter);
      cancel.listen((reason) => this.#leave(waiter, reason));
      if (this.#timer === undefined) this.#arm();
    });
  }

  /** Gives a slot back: to the first waiter, or to the pool. */
  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) {
      // The slot passes straight on: #busy stays the same.
      next.cancel.unlisten();
      next.resolve();
      return;
    }
    if (this.#busy > 0) this.#busy--;
  }

  #leave(waiter: Waiter, reason: Error): void {
    const i = this.#waiting.indexOf(waiter);
    if (i === -1) return;
    this.#waiting.splice(i, 1);
    waiter.reject(reason);
  }

  #arm(): void {
    const oldest = this.#waiting[0];
    if (oldest === undefined) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, oldest.deadline - Date.now()));
  }

  #expire(): void {
    const now = Date.now();
    while (this.#waiting.length > 0 && (this.#waiting[0] as Waiter).deadline <= now) {
      const waiter = this.#waiting.shift() as Waiter;
      waiter.cancel.unlisten();
      waiter.reject(new PlugdError("PLUGD_ERR_PHP_OVERLOADED", `no script slot came free within ${this.#timeoutMs} ms`));
    }
    this.#arm();
  }

  /** Stops the timer (server closing); waiters are failed. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", "the server is stopping"));
  }
}
