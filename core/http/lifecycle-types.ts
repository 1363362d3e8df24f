// Small value types that travel through the hooks.
import type { ServerConfig } from "../config/types.ts";

/** What onRawRequest sees: the head bytes exactly as received, and the peer. */
export interface RawRequest {
  readonly raw: Buffer;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly server: ServerConfig;
}

/** An error reported with a response: which hook and plugin, and the stable code. */
export interface ReportedError {
  readonly code: string;
  readonly message: string;
  readonly hook?: string;
  readonly plugin?: string;
  readonly stack?: string;
}

/** A CONNECT tunnel's account, given to `log` when the tunnel closes. */
export interface TunnelStats {
  readonly target: string;
  readonly bytesUp: number;
  readonly bytesDown: number;
}

export interface Timing {
  /** When the head was complete (ms since the epoch). */
  readonly startedAt: number;
  /** From head complete to the last byte handed to the socket, in ms. */
  readonly durationMs: number;
  /** Body bytes written (not counting the head), as `%b` wants. */
  readonly bodyBytes: number;
  /** Set when the response is the result of an error (a throwing tap, a parse error). */
  readonly error?: ReportedError;
  /** Set for CONNECT tunnels. */
  readonly tunnel?: TunnelStats;
  /** False when the client went away before the response was fully written. */
  readonly completed: boolean;
}
