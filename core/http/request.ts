// Request (DESIGN §3): the parsed head plus a lazy body.
import type { Readable } from "node:stream";
import { Readable as ReadableStream } from "node:stream";
import type { ServerConfig } from "../config/types.ts";
import { PlugdError } from "../errors.ts";
import type { HeaderFields, RequestHead, TargetForm } from "./head.ts";
import { readAll, type RequestBodyStream } from "./body.ts";

/** The user an `authorize` tap verified. */
export interface RequestUser {
  readonly name: string;
  /** "Basic", ... (CGI's AUTH_TYPE). */
  readonly authType: string;
}

/**
 * What a logger can know of any request, including one the core rejected while parsing.
 * Request implements it; for a rejected request `parsed` is false and `error` says why.
 */
export interface RequestInfo {
  readonly parsed: boolean;
  readonly id: string;
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: HeaderFields;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly server: ServerConfig;
  readonly user: RequestUser | undefined;
  /** For a rejected request: the head bytes received (an excerpt), as received. */
  readonly raw?: Buffer;
}

let nextId = 0;
const ID_PREFIX = process.pid.toString(36) + "-";

/** A process-unique request id, short and sortable within a process. */
export function newRequestId(): string {
  return ID_PREFIX + (++nextId).toString(36);
}

const EMPTY = Buffer.alloc(0);

export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly encrypted: boolean;
}

export class Request implements RequestInfo {
  readonly parsed = true;
  readonly head: RequestHead;
  /** Percent-decoded once and normalized; never above "/" (core/http/path.ts). "" for CONNECT, "*" for OPTIONS *. */
  readonly path: string;
  readonly server: ServerConfig;
  readonly connection: ConnectionInfo;
  /** Set by an `authorize` tap that verified credentials. */
  user: RequestUser | undefined = undefined;
  /** Per-request scratch space for plugins; key it by your plugin id. */
  readonly locals: Map<string, unknown> = new Map();
  #id: string | undefined;
  readonly #body: RequestBodyStream | undefined;
  #bodyTaken = false;
  #abort: AbortController | undefined;
  /** abort() was called: a signal made later starts aborted (a late reader must not miss it). */
  #aborted = false;

  constructor(head: RequestHead, path: string, server: ServerConfig, connection: ConnectionInfo, body: RequestBodyStream | undefined) {
    this.head = head;
    this.path = path;
    this.server = server;
    this.connection = connection;
    this.#body = body;
  }

  get id(): string {
    return (this.#id ??= newRequestId());
  }
  get method(): string {
    return this.head.method;
  }
  get target(): string {
    return this.head.target;
  }
  get targetForm(): TargetForm {
    return this.head.targetForm;
  }
  get version(): string {
    return this.head.version;
  }
  get headers(): HeaderFields {
    return this.head.headers;
  }
  /** The raw query string, without "?" ("" when none). */
  get query(): string {
    return this.head.query;
  }
  /** Host (and port) the client addressed. */
  get authority(): string {
    return this.head.authority;
  }
  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }
  get remotePort(): number {
    return this.connection.remotePort;
  }

  /** Whether the request carries a body (Content-Length > 0 or chunked). */
  get hasBody(): boolean {
    return this.#body !== undefined;
  }

  /** Whether a plugin has taken the body with body() or stream(). */
  get bodyTaken(): boolean {
    return this.#bodyTaken;
  }

  /**
   * The whole body in one Buffer. Its size is bounded by limits.maxBodyBytes (the core answers
   * 413 before this resolves). Sends `100 Continue` when the client waits for it.
   */
  body(): Promise<Buffer> {
    if (this.#body === undefined) {
      this.#take();
      return Promise.resolve(EMPTY);
    }
    return readAll(this.stream());
  }

  /** The body as a stream, for consumers that stream (PUT to disk, CGI stdin). Once only. */
  stream(): Readable {
    this.#take();
    if (this.#body === undefined) return ReadableStream.from([]);
    this.#body.want();
    return this.#body;
  }

  /** Aborted when the client goes away before its response is written (gateways kill their child). */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort(new Error("client went away"));
    }
    return this.#abort.signal;
  }

  /** Core only: the connection closed early. */
  abort(): void {
    this.#aborted = true;
    this.#abort?.abort(new Error("client went away"));
  }

  #take(): void {
    if (this.#bodyTaken) throw new PlugdError("PLUGD_ERR_BODY_ALREADY_READ", `The body of request ${this.id} was already taken`);
    this.#bodyTaken = true;
  }
}
