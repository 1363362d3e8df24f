// The normalized configuration the core runs on: what core/config/ produces from
// server.config.json after validation, with defaults filled and paths made absolute.

export interface Limits {
  /** Request line + header fields + blank line, in bytes; over -> 431 (RFC 6585 §5). */
  readonly maxHeaderBytes: number;
  /** Number of header field lines; over -> 431. */
  readonly maxHeaderCount: number;
  /** Request-target length in bytes; over -> 414 (RFC 9112 §3). */
  readonly maxTargetLength: number;
  /** Body bytes (after de-chunking); over -> 413. */
  readonly maxBodyBytes: number;
  /** Time for a whole head to arrive once its first byte has; over -> 408 and close (slowloris). */
  readonly headersTimeoutMs: number;
  /** Longest silence while a body is being received; over -> 408 and close. */
  readonly bodyTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections per server; past this, new ones get 503 and are closed. */
  readonly maxConnections: number;
  /** Requests parsed ahead of their responses on one connection before we stop reading. */
  readonly maxPipelinedRequests: number;
  /** On stop, how long in-flight requests may take before their sockets are destroyed. */
  readonly shutdownGraceMs: number;
}

export interface ListenAddress {
  /** As written in the config ("127.0.0.1:8080", "[::1]:8080"). */
  readonly text: string;
  readonly host: string;
  readonly port: number;
}

export interface PluginEntry {
  /** The id used in the config (the key of the plugins map). */
  readonly id: string;
  /** Absolute path of a custom plugin's module, when `module` was given. */
  readonly module?: string;
  /** The plugin's options as written (without `module`/`enabled`), before its schema's defaults. */
  readonly options: Record<string, unknown>;
}

export interface ServerConfig {
  readonly name: string;
  readonly listen: readonly ListenAddress[];
  /** Absolute path of the web root. */
  readonly root: string;
  /**
   * Absolute folder that relative paths in this server's plugin options resolve against: the
   * config file's folder (as for `root` and `module`), or the working directory for a server
   * made in code. Plugins resolve `users`, `dir`, ... with `path.resolve(server.config.base, p)`.
   */
  readonly base: string;
  readonly limits: Limits;
  /** Server-Timing header with each plugin's time (issue 8). */
  readonly timing: boolean;
  /** Enabled plugins, in the order written (order of taps is by stage, not by this). */
  readonly plugins: readonly PluginEntry[];
}

export interface PlugdConfig {
  /** Absolute path of the configuration file. */
  readonly file: string;
  readonly servers: readonly ServerConfig[];
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxTargetLength: 8192,
  maxBodyBytes: 10485760,
  headersTimeoutMs: 10000,
  bodyTimeoutMs: 30000,
  keepAliveTimeoutMs: 5000,
  maxConnections: 10000,
  maxPipelinedRequests: 16,
  shutdownGraceMs: 10000,
});
