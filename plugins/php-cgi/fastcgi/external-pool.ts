// Connections to an external FastCGI server (php-fpm): opened on demand, at most `limit`
// (the gateway's concurrency), kept between requests (FCGI_KEEP_CONN) and closed after a few
// idle seconds, so that a php-fpm worker held by an idle connection is given back.
import { PlugdError } from "../../../core/errors.ts";
import type { Cancel } from "../cancel.ts";
import { FcgiConnection, describeAddress, type FcgiAddress } from "./connection.ts";
import type { FcgiPool, Lease } from "./pool.ts";

/** One lease object per connection, made once: lending it again allocates nothing. */
class ConnectionLease implements Lease {
  readonly connection: FcgiConnection;

  constructor(connection: FcgiConnection) {
    this.connection = connection;
  }

  get reused(): boolean {
    return this.connection.requests > 1;
  }

  kill(): void {
    this.connection.destroy();
  }
}

const LEASES = new WeakMap<FcgiConnection, ConnectionLease>();

function leaseOf(connection: FcgiConnection): Lease {
  let lease = LEASES.get(connection);
  if (lease === undefined) {
    lease = new ConnectionLease(connection);
    LEASES.set(connection, lease);
  }
  return lease;
}

export class ExternalPool implements FcgiPool {
  readonly #address: FcgiAddress;
  readonly #idleMs: number;
  /** Idle connections, the most recently used last (reused first: the others may time out). */
  readonly #idle: { connection: FcgiConnection; since: number }[] = [];
  readonly #all = new Set<FcgiConnection>();
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;

  /** `idleMs`: a kept connection idle this long is closed (the `idleTimeoutMs` option). */
  constructor(address: FcgiAddress, idleMs: number) {
    this.#address = address;
    this.#idleMs = idleMs;
  }

  get description(): string {
    return `FastCGI server at ${describeAddress(this.#address)}`;
  }

  async start(): Promise<void> {
    // One timer for all idle connections rather than one per request.
    this.#sweep = setInterval(() => this.#closeIdle(Date.now() - this.#idleMs), Math.min(1000, Math.ceil(this.#idleMs / 4)));
    this.#sweep.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    for (const connection of this.#all) connection.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  unavailable(): string | undefined {
    return this.#stopped ? "the server is stopping" : undefined;
  }

  tryAcquire(): Lease | undefined {
    while (this.#idle.length > 0) {
      const { connection } = this.#idle.pop() as { connection: FcgiConnection };
      if (!connection.closed) return leaseOf(connection);
    }
    return undefined;
  }

  async acquire(cancel: Cancel): Promise<Lease> {
    const idle = this.tryAcquire();
    if (idle !== undefined) return idle;
    let connection: FcgiConnection;
    try {
      connection = await FcgiConnection.connect(this.#address, cancel);
    } catch (err) {
      if (cancel.cancelled) throw err;
      // nginx answers 502 when the upstream refuses the connection.
      throw new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `cannot connect to the ${this.description}: ${(err as Error).message}`, undefined, { cause: err });
    }
    this.#all.add(connection);
    connection.onClose = () => this.#forget(connection);
    if (this.#stopped) connection.destroy();
    return leaseOf(connection);
  }

  release(lease: Lease, reusable: boolean): void {
    const connection = lease.connection;
    if (!reusable || connection.closed || this.#stopped) {
      connection.destroy();
      return;
    }
    connection.resume();
    this.#idle.push({ connection, since: Date.now() });
  }

  #closeIdle(before: number): void {
    // The oldest are first.
    while (this.#idle.length > 0 && (this.#idle[0] as { since: number }).since < before) {
      (this.#idle.shift() as { connection: FcgiConnection }).connection.destroy();
    }
  }

  #forget(connection: FcgiConnection): void {
    this.#all.delete(connection);
    const i = this.#idle.findIndex((entry) => entry.connection === connection);
    if (i !== -1) this.#idle.splice(i, 1);
  }
}
