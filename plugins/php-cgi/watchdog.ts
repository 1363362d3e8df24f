// The script's silence timer (the `timeoutMs` option): restarted by every sign of life (output
// from the script, request body bytes taken by it), suspended while the client is the slow
// side (the output is paused by backpressure). No timer per request: the gateway's one clock
// (WatchdogClock) looks at every running script a few times per timeoutMs.

export class Watchdog {
  readonly #ms: number;
  #deadline: number;
  #holds = 0;
  #stopped = false;

  /** Starts counting now. */
  constructor(ms: number) {
    this.#ms = ms;
    this.#deadline = Date.now() + ms;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Activity: the silence starts again. */
  touch(): void {
    if (this.#holds === 0) this.#deadline = Date.now() + this.#ms;
  }

  /** The client is not reading: the script's silence is not its fault until release(). */
  hold(): void {
    this.#holds++;
  }

  release(): void {
    if (this.#holds === 0) return;
    if (--this.#holds === 0) this.#deadline = Date.now() + this.#ms;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** True once, when the silence has lasted `ms` at `now`; it stops then. */
  expire(now: number): boolean {
    if (this.#stopped || this.#holds > 0 || now < this.#deadline) return false;
    this.#stopped = true;
    return true;
  }
}

/** What the clock looks at: a running script. */
export interface Watched {
  /** Called on every tick with the time. */
  tick(now: number): void;
}

/** One interval for all the scripts of a gateway, ticking `timeoutMs / 10` (10 ms to 250 ms). */
export class WatchdogClock {
  readonly #running: ReadonlySet<Watched>;
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number, running: ReadonlySet<Watched>) {
    this.#running = running;
    this.#timer = setInterval(() => this.#tick(), Math.min(250, Math.max(10, Math.floor(timeoutMs / 10))));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    if (this.#running.size === 0) return;
    const now = Date.now();
    for (const run of this.#running) run.tick(now);
  }
}
