// Server: one configured instance — its hooks, its plugins, its listeners and connections.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { parseListenAddress } from "./config/listen.ts";
import { DEFAULT_LIMITS, type Limits, type ListenAddress, type ServerConfig } from "./config/types.ts";
import type { PluginDefinition } from "./define-plugin.ts";
import { PlugdError } from "./errors.ts";
import { createHooks, type Hooks } from "./hooks.ts";
import { Connection, type ConnectionHost } from "./http/connection.ts";
import type { Exchange } from "./http/exchange.ts";
import type { Timing } from "./http/lifecycle-types.ts";
import { error as errorResponse } from "./http/response.ts";
import { serializeHead } from "./http/serialize.ts";
import { instrumentHooks, type InstrumentState } from "./instrument.ts";
import { Lifecycle } from "./lifecycle.ts";

export class Server {
  readonly hooks: Hooks;
  readonly config: ServerConfig;
  readonly #lifecycle: Lifecycle;
  readonly #state: InstrumentState;
  readonly #listeners: net.Server[] = [];
  readonly #connections = new Set<Connection>();
  readonly #host: ConnectionHost;
  #sweep: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  /** Plugin ids applied, in order. */
  readonly plugins: string[] = [];

  constructor(config: ServerConfig) {
    this.config = config;
    this.hooks = createHooks();
    this.#state = {
      applying: undefined,
      frozen: false,
      timing: config.timing,
      methods: [],
      logTapFailed: (err) => this.reportError(err as Error, "log tap failed"),
    };
    instrumentHooks(this.hooks, this.#state);
    this.#lifecycle = new Lifecycle(this.hooks, this.#state.methods, config.timing);
    const server = this;
    this.#host = {
      config,
      get stopping() {
        return server.#stopping;
      },
      run: (exchange, connection) => this.#lifecycle.run(exchange, connection),
      finished: (exchange, _connection, completed, bodyBytes, tunnel) => this.#finished(exchange, completed, bodyBytes, tunnel),
      closed: (connection) => {
        this.#connections.delete(connection);
      },
      parsers: [],
    };
  }

  /** The server's name from the config. */
  get name(): string {
    return this.config.name;
  }

  get listening(): boolean {
    return this.#state.frozen;
  }

  /** Applies a plugin with already-validated options; its taps are attributed to `id`. */
  use<O>(definition: PluginDefinition<O>, options: O, id: string = definition.name): this {
    if (this.#state.frozen) throw new PlugdError("PLUGD_ERR_HOOK_TAP_AFTER_LISTEN", `Plugin "${id}" applied after listen()`);
    this.#state.applying = id;
    try {
      definition.apply(this, options);
    } catch (err) {
      throw new PlugdError("PLUGD_ERR_PLUGIN_APPLY", `Plugin "${id}" failed to apply: ${(err as Error).message}`, { plugin: id }, { cause: err });
    } finally {
      this.#state.applying = undefined;
    }
    this.plugins.push(id);
    return this;
  }

  /** Every method some plugin called handle.for() with, tapped or not, in order of first use. */
  handledMethods(): string[] {
    return [...new Set(this.#state.methods)];
  }

  /** Open client connections (tunnels included). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Methods with a handle tap (what a 405's Allow lists). */
  get methods(): string[] {
    return this.#lifecycle.allowedMethods();
  }

  /** Bound addresses, once listening (port 0 resolved). */
  get addresses(): AddressInfo[] {
    return this.#listeners.map((l) => l.address() as AddressInfo);
  }

  /** "http://127.0.0.1:PORT" of the i-th listener. */
  url(i = 0): string {
    const a = this.addresses[i];
    if (a === undefined) throw new Error("not listening");
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Runs `listening` taps, then binds every address. On any failure nothing stays bound. */
  async listen(): Promise<void> {
    this.#state.frozen = true;
    this.#lifecycle.freeze();
    if (this.hooks.listening.isUsed()) await this.hooks.listening.promise();
    try {
      for (const address of this.config.listen) this.#listeners.push(await this.#bind(address));
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    const limits = this.config.limits;
    const shortest = Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs, limits.keepAliveTimeoutMs);
    this.#sweep = setInterval(() => this.#sweepDeadlines(), Math.max(10, Math.min(1000, Math.floor(shortest / 4))));
    this.#sweep.unref();
  }

  #bind(address: ListenAddress): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const listener = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
      listener.once("error", (err) => reject(new PlugdError("PLUGD_ERR_SERVER_LISTEN", `Cannot listen on ${address.text}: ${err.message}`, { address: address.text }, { cause: err })));
      listener.listen({ host: address.host, port: address.port, backlog: 2048 }, () => resolve(listener));
    });
  }

  #accept(socket: net.Socket): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    if (this.#connections.size >= this.config.limits.maxConnections) {
      // Over the limit: say so once and close, rather than leave the client hanging.
      const res = errorResponse(503);
      const head = serializeHead(res, false, false, false);
      socket.on("error", () => socket.destroy());
      socket.end(head.text + String(res.body));
      // Not a Connection, so not swept: cut off a peer that never closes its side.
      const linger = setTimeout(() => socket.destroy(), 5000);
      linger.unref();
      socket.once("close", () => clearTimeout(linger));
      return;
    }
    this.#connections.add(new Connection(socket, this.#host));
  }

  #sweepDeadlines(): void {
    const now = Date.now();
    for (const connection of this.#connections) {
      if (connection.deadline !== 0 && connection.deadline <= now) connection.expire();
    }
  }

  #finished(exchange: Exchange, completed: boolean, bodyBytes: number, tunnel?: { bytesUp: number; bytesDown: number }): void {
    const response = exchange.response ?? errorResponse(500);
    const error = response.error;
    if (this.hooks.log.isUsed()) {
      const timing: Timing = {
        startedAt: exchange.startedAt,
        durationMs: Date.now() - exchange.startedAt,
        bodyBytes,
        completed,
        ...(error !== undefined ? { error } : {}),
        ...(tunnel !== undefined ? { tunnel: { target: exchange.info.target, ...tunnel } } : {}),
      };
      this.hooks.log.call(exchange.info, response, timing);
    } else if (error !== undefined && response.status >= 500 && response.status !== 501) {
      // A failure of ours (not a client's unknown method): say so even without a logger.
      this.reportError(error, `request ${exchange.info.id}`);
    }
  }

  /** Last-resort error report when no logger is tapped: one line to stderr. */
  reportError(error: { code?: string; message: string; hook?: string; plugin?: string }, context: string): void {
    const where = error.hook !== undefined ? ` in ${error.hook}${error.plugin !== undefined ? ` (plugin ${error.plugin})` : ""}` : "";
    process.stderr.write(`plugd [${this.name}] ${error.code ?? "error"}${where}, ${context}: ${error.message}\n`);
  }

  /**
   * Stops accepting, lets in-flight requests finish within `graceMs`, closes idle keep-alive
   * connections, then runs `close` taps. Safe to call twice.
   */
  stop(graceMs = this.config.limits.shutdownGraceMs): Promise<void> {
    this.#stopped ??= this.#stop(graceMs);
    return this.#stopped;
  }

  async #stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    const closing = this.#listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    for (const connection of this.#connections) connection.shutdown();
    await waitUntil(() => this.#connections.size === 0, graceMs);
    for (const connection of this.#connections) connection.destroy();
    await Promise.all(closing);
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    if (this.hooks.close.isUsed()) await this.hooks.close.promise();
  }
}

function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const deadline = Date.now() + timeoutMs;
    const timer = setInterval(() => {
      if (done() || Date.now() >= deadline) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
}

export interface CreateServerOptions {
  name?: string;
  /** "host:port" strings; default one ephemeral port on 127.0.0.1. */
  listen?: string[];
  root?: string;
  /** Folder relative plugin paths resolve against (default: the working directory). */
  base?: string;
  limits?: Partial<Limits>;
  timing?: boolean;
}

/** A server from options, for programs and tests that don't use a config file. */
export function createServer(options: CreateServerOptions = {}): Server {
  const listen = (options.listen ?? ["127.0.0.1:0"]).map(parseListen);
  return new Server({
    name: options.name ?? "default",
    listen,
    root: options.root ?? process.cwd(),
    base: options.base ?? process.cwd(),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    timing: options.timing ?? false,
    plugins: [],
  });
}

function parseListen(text: string): ListenAddress {
  const parsed = parseListenAddress(text);
  if (!parsed.ok) throw new PlugdError("PLUGD_ERR_CONFIG_INVALID", `Bad listen address ${JSON.stringify(text)}: ${parsed.reason}`);
  return parsed.address;
}
