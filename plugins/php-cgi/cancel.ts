// A request's "stop waiting" token: cancelled when its client leaves or its script times out.
// Lighter than an AbortController (no EventTarget, one listener at a time): one is made for
// every script run, and whoever is waiting on the request's behalf (the slot queue, the
// pool, a connect) holds the listener while it waits.

export class Cancel {
  #reason: Error | undefined;
  #listener: ((reason: Error) => void) | undefined;

  get cancelled(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): Error | undefined {
    return this.#reason;
  }

  cancel(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.(reason);
  }

  /** The one listener (a later call replaces it); called at once when already cancelled. */
  listen(listener: (reason: Error) => void): void {
    if (this.#reason !== undefined) listener(this.#reason);
    else this.#listener = listener;
  }

  unlisten(): void {
    this.#listener = undefined;
  }
}
