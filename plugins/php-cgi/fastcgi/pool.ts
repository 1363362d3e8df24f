// Where FastCGI connections come from: an external server (external-pool.ts) or the php-cgi -b
// children plugd runs itself (own-pool.ts).
import type { Cancel } from "../cancel.ts";
import type { FcgiConnection } from "./connection.ts";

/** A connection lent for one request. */
export interface Lease {
  readonly connection: FcgiConnection;
  /**
   * Read while a request is on it: the connection carried an earlier one (and may have been
   * closed by the other side meanwhile).
   */
  readonly reused: boolean;
  /** Stops the script for good: kills the child (own pool) or drops the connection (external). */
  kill(): void;
}

export interface FcgiPool {
  /** For messages: "FastCGI server at unix:/run/php/fpm.sock", "php-cgi -b pool". */
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Why no request can be served (503), or undefined. */
  unavailable(): string | undefined;
  /** A connection with no request on it now, or undefined (then acquire() waits for one). */
  tryAcquire(): Lease | undefined;
  /** A connection with no request on it; waits for one when all are busy. */
  acquire(cancel: Cancel): Promise<Lease>;
  /** Gives the connection back: kept for the next request when `reusable`, else closed. */
  release(lease: Lease, reusable: boolean): void;
}
