// One socket: bytes -> parser -> lifecycle -> serializer (DESIGN §2, §6).
// Owns keep-alive, pipelining (responses strictly in request order), 100-continue,
// backpressure both ways and the per-connection deadlines the server's sweep enforces.
import type { Socket } from "node:net";
import type { ServerConfig } from "../config/types.ts";
import { ERRORS, PlugdError, type ErrorCode } from "../errors.ts";
import { RequestBodyStream, type BodyFeeder } from "./body.ts";
import { Exchange } from "./exchange.ts";
import type { RequestHead } from "./head.ts";
import type { ParseError } from "./parser-types.ts";
import { RequestParser } from "./parser.ts";
import { normalizePath } from "./path.ts";
import { Request, type ConnectionInfo } from "./request.ts";
import { error as errorResponse, type Response } from "./response.ts";
import { rejectedInfo } from "./rejected.ts";
import { ResponseWriter } from "./response-writer.ts";

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly config: ServerConfig;
  readonly stopping: boolean;
  /** Runs the lifecycle; ends by calling connection.respond(exchange, response). */
  run(exchange: Exchange, connection: Connection): void;
  /** The `log` hook, after a response (or a rejection) is finished. */
  finished(exchange: Exchange, connection: Connection, completed: boolean, bodyBytes: number, extra?: { bytesUp: number; bytesDown: number }): void;
  closed(connection: Connection): void;
  /** Idle parsers of this server's connections, reused (they carry the server's limits). */
  readonly parsers: RequestParser[];
}

/** Reasons to stop reading the socket; reading goes on only when none is set. */
const PAUSE = Object.freeze({ pipeline: 1, body: 2, write: 4, tunnel: 8, closing: 16 } as const);

/** What the sweep checks a connection's deadline for. */
export const DEADLINE = Object.freeze({ none: 0, idle: 1, head: 2, body: 3, write: 4, linger: 5 } as const);

/** After we end our side, how long a peer may keep its side open before the socket is destroyed. */
const LINGER_MS = 5000;

const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n");
/** Idle parsers kept per server for reuse. */
const MAX_POOLED_PARSERS = 1024;
/** The Connection a socket belongs to, so the socket's listeners are shared functions, not closures. */
const CONNECTION = Symbol("plugd.connection");
type OwnedSocket = Socket & { [CONNECTION]: Connection };

/** Bytes of an unread body we drain to keep the connection; past this we close instead. */
const MAX_DRAIN_BYTES = 1024 * 1024;

export class Connection implements BodyFeeder {
  readonly socket: Socket;
  readonly host: ConnectionHost;
  readonly info: ConnectionInfo;
  /** Only while a request is on its way: an idle connection gives its parser back to the pool. */
  #parser: RequestParser | undefined;
  readonly #writer: ResponseWriter;
  /** In-flight exchanges, oldest first; only the first may write. */
  readonly queue: Exchange[] = [];
  /** The exchange whose body the parser is reading. */
  #bodyExchange: Exchange | undefined;
  #remainder: Buffer | undefined;
  #paused = 0;
  #executing = false;
  #closed = false;
  /** No more requests will be read; close when the queue drains. */
  #ending = false;
  /** We ended our side (socket.end()); the linger deadline cuts off a peer that never closes. */
  #lingering = false;
  /** Deadline the server's sweep enforces (ms since the epoch, 0 for none) and its kind. */
  deadline = 0;
  deadlineKind: number = DEADLINE.none;

  constructor(socket: Socket, host: ConnectionHost) {
    this.socket = socket;
    this.host = host;
    const limits = host.config.limits;
    this.info = {
      remoteAddress: socket.remoteAddress ?? "",
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? "",
      localPort: socket.localPort ?? 0,
      encrypted: false,
    };
    this.#writer = new ResponseWriter(this);
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.on("data", Connection.#socketData);
    socket.on("end", Connection.#socketEnd);
    socket.on("error", Connection.#socketError);
    socket.on("close", Connection.#socketClose);
    socket.on("drain", Connection.#socketDrain);
    this.#rearm();
  }

  // One function per event for every socket (10,000 idle connections: no closures each).
  static #socketData(this: Socket, chunk: Buffer): void {
    (this as OwnedSocket)[CONNECTION].#onData(chunk);
  }
  static #socketEnd(this: Socket): void {
    (this as OwnedSocket)[CONNECTION].#onEnd();
  }
  static #socketError(this: Socket): void {
    this.destroy();
  }
  static #socketClose(this: Socket): void {
    (this as OwnedSocket)[CONNECTION].#onClose();
  }
  static #socketDrain(this: Socket): void {
    (this as OwnedSocket)[CONNECTION].#resume(PAUSE.write);
  }

  #takeParser(): RequestParser {
    const pooled = this.host.parsers.pop();
    return (this.#parser = pooled !== undefined ? pooled.attach(this) : new RequestParser(this.host.config.limits, this));
  }

  /** Gives the parser back when nothing is on its way: no request, no bytes, nothing paused. */
  #releaseParserIfIdle(): void {
    const parser = this.#parser;
    if (parser === undefined || this.#executing || this.#closed || this.#ending || this.#paused !== 0) return;
    if (this.queue.length !== 0 || this.#remainder !== undefined || this.#bodyExchange !== undefined || !parser.idle || parser.paused) return;
    this.#parser = undefined;
    if (this.host.parsers.length < MAX_POOLED_PARSERS) this.host.parsers.push(parser);
  }

  get closed(): boolean {
    return this.#closed;
  }

  // --- reading -------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#remainder !== undefined) {
      chunk = Buffer.concat([this.#remainder, chunk]);
      this.#remainder = undefined;
    }
    this.#execute(chunk);
    if (this.queue.length === 0) this.#releaseParserIfIdle();
    this.#rearm();
  }

  #execute(chunk: Buffer): void {
    this.#executing = true;
    // Responses made synchronously while these bytes are parsed (pipelined requests answered
    // by sync taps) leave in one writev when the socket is uncorked, not one write each.
    const socket = this.socket;
    const parser = this.#parser ?? this.#takeParser();
    socket.cork();
    let consumed: number;
    try {
      consumed = parser.execute(chunk);
    } finally {
      this.#executing = false;
      socket.uncork();
    }
    if (consumed < chunk.length && !parser.dead && !this.#closed) {
      this.#remainder = chunk.subarray(consumed);
      this.socket.pause();
    }
  }

  #pause(reason: number): void {
    this.#paused |= reason;
    this.#parser?.pause();
    this.socket.pause();
    this.#rearm();
  }

  #resume(reason: number): void {
    if ((this.#paused & reason) === 0) return;
    this.#paused &= ~reason;
    this.#rearm();
    if (this.#paused !== 0 || this.#closed) return;
    this.#parser?.resume();
    if (this.#executing) return; // the running execute() goes on by itself
    const rest = this.#remainder;
    if (rest !== undefined) {
      this.#remainder = undefined;
      this.#execute(rest);
    }
    if (this.#paused === 0 && !this.#closed) this.socket.resume();
    this.#rearm();
  }

  #onEnd(): void {
    // The client half-closed: finish what was asked, then close (RFC 9112 §9.6).
    this.#parser?.finish();
    this.#ending = true;
    if (this.queue.length === 0) this.#endSocket();
  }

  // --- parser events ---------------------------------------------------------------------------

  onHead(head: RequestHead): void {
    const now = Date.now();
    let path: string;
    if (head.targetForm === "origin" || head.targetForm === "absolute") {
      const normalized = normalizePath(head.rawPath === "" ? "/" : head.rawPath);
      if (!normalized.ok) {
        this.#reject({ status: 400, code: "PLUGD_ERR_HTTP_BAD_PATH", message: `Bad path (${normalized.problem})` }, head.raw, now);
        this.#parser?.pause();
        return;
      }
      path = normalized.path;
    } else {
      path = head.targetForm === "asterisk" ? "*" : "";
    }
    const hasBody = head.bodyKind === "chunked" || (head.bodyKind === "length" && head.contentLength > 0);
    const body = hasBody ? new RequestBodyStream(this) : undefined;
    const request = new Request(head, path, this.host.config, this.info, body);
    const exchange = new Exchange(request, request, body, now);
    if (head.expectContinue && body !== undefined) exchange.continueSent = false;
    else exchange.continueSent = true;
    this.queue.push(exchange);
    if (body !== undefined) this.#bodyExchange = exchange;
    if (head.method === "CONNECT") {
      // After CONNECT the bytes belong to the tunnel (or to nobody, if it is refused). A refusal
      // says so with Connection: close (RFC 9112 §9.6), or a client reuses the connection.
      exchange.closeAfter = true;
      this.#stopReading();
    } else if (!head.keepAlive) {
      // "close" ends the conversation after this message (RFC 9112 §9.6): its body is still read.
      this.#ending = true;
    } else if (this.queue.length >= this.host.config.limits.maxPipelinedRequests) {
      this.#pause(PAUSE.pipeline);
    }
    this.host.run(exchange, this);
  }

  onBody(chunk: Buffer): void {
    const exchange = this.#bodyExchange;
    if (exchange === undefined) return;
    if (exchange.discarding) {
      exchange.drained += chunk.length;
      if (exchange.drained > MAX_DRAIN_BYTES) {
        // Too much to drain: stop reading and close once what we wrote has gone out.
        this.#bodyExchange = undefined;
        this.#stopReading();
        this.#endSocket();
      }
      return;
    }
    if (this.deadlineKind === DEADLINE.body) this.deadline = Date.now() + this.host.config.limits.bodyTimeoutMs;
    if (!(exchange.body as RequestBodyStream).feed(chunk)) this.#pause(PAUSE.body);
  }

  onMessageComplete(): void {
    const exchange = this.#bodyExchange;
    if (exchange !== undefined) {
      this.#bodyExchange = undefined;
      if (!exchange.discarding) exchange.body?.feedEnd();
    }
    if (this.#ending) {
      this.#pause(PAUSE.closing);
      if (this.queue.length === 0) this.#endSocket();
    }
  }

  onError(error: ParseError, raw: Buffer): void {
    const exchange = this.#bodyExchange;
    if (exchange !== undefined) {
      // The body of a parsed request turned out bad (or too large): its consumer sees an error
      // with that status, and if no response was made yet, the error is the response.
      this.#bodyExchange = undefined;
      exchange.closeAfter = true;
      exchange.body?.destroy(new PlugdError(error.code, error.message));
      this.#stopReading();
      if (!this.queue.includes(exchange)) this.#endSocket();
      return;
    }
    this.#reject(error, raw, Date.now());
  }

  /** The core answers a request that never reached plugins, then closes. */
  #reject(error: ParseError, raw: Buffer, now: number): void {
    const info = rejectedInfo(this.host.config, this.info, raw, error.code);
    const exchange = new Exchange(undefined, info, undefined, now);
    exchange.closeAfter = true;
    exchange.continueSent = true;
    this.queue.push(exchange);
    this.#stopReading();
    const response = errorResponse(error.status, error.message);
    response.error = { code: error.code, message: error.message };
    this.respond(exchange, response);
  }

  #stopReading(): void {
    this.#ending = true;
    this.#pause(PAUSE.closing);
  }

  // --- body consumers (BodyFeeder) -------------------------------------------------------------

  bodyWanted(body: RequestBodyStream): void {
    const exchange = this.#bodyExchange;
    if (exchange === undefined || exchange.body !== body || exchange.continueSent) return;
    // RFC 9110 §10.1.1: 100 Continue only once the body is wanted, and never out of order.
    if (this.queue[0] === exchange) this.#sendContinue(exchange);
    else exchange.continueWanted = true;
  }

  bodyPull(body: RequestBodyStream): void {
    if (this.#bodyExchange?.body === body) this.#resume(PAUSE.body);
  }

  #sendContinue(exchange: Exchange): void {
    exchange.continueSent = true;
    exchange.continueWanted = false;
    if (!this.#closed) this.socket.write(CONTINUE);
  }

  // --- writing ---------------------------------------------------------------------------------

  /** The lifecycle's answer for `exchange`. Written when every earlier response has been. */
  respond(exchange: Exchange, response: Response): void {
    exchange.response = response;
    if (this.#closed) {
      this.host.finished(exchange, this, false, 0);
      this.#removeFinished(exchange);
      return;
    }
    if (this.queue[0] !== exchange) return;
    // A tunnel answered synchronously, from inside the parser's execute(): the bytes the client
    // sent after the CONNECT head become #remainder only when execute() returns, so the tunnel
    // starts right after that, or detachForTunnel() would hand it no early data.
    if (this.#executing && response.tunnel !== undefined) return queueMicrotask(() => this.respond(exchange, response));
    this.#writer.writeNext();
  }

  /** Whether to keep the connection after this exchange; called right before its head is written. */
  keepAliveAfter(exchange: Exchange): boolean {
    if (exchange.closeAfter || exchange.request === undefined) return false;
    // Stopping: nothing new is read, and the last exchange already queued closes the connection.
    if (this.host.stopping && this.queue[this.queue.length - 1] === exchange) return false;
    if (!exchange.request.head.keepAlive) return false;
    const body = exchange.body;
    if (body !== undefined && !body.complete && this.#bodyExchange === exchange) {
      if (!exchange.continueSent) return false; // the client may or may not send the body now
      const remaining = exchange.request.head.bodyKind === "length" ? exchange.request.head.contentLength - body.received : MAX_DRAIN_BYTES;
      if (remaining > MAX_DRAIN_BYTES) return false;
    }
    return true;
  }

  /** Called by the writer when an exchange's response has fully gone out (or failed). */
  exchangeWritten(exchange: Exchange, completed: boolean, bodyBytes: number, keepAlive: boolean, tunnel?: { bytesUp: number; bytesDown: number }): void {
    this.#removeFinished(exchange);
    const body = exchange.body;
    if (body !== undefined && this.#bodyExchange === exchange) {
      // Nobody read the rest of the body: drop it as it arrives (or close, when not kept).
      exchange.discarding = true;
      body.destroy();
      this.#resume(PAUSE.body);
    }
    this.host.finished(exchange, this, completed, bodyBytes, tunnel);
    if (!keepAlive || !completed) {
      this.#ending = true;
      this.#stopReading();
      // Requests parsed after this one get no answer on this connection: tell their handlers
      // (gateways kill their scripts) and their loggers.
      for (const dropped of this.queue.splice(0)) {
        dropped.request?.abort();
        if (dropped.body !== undefined && !dropped.body.complete) dropped.body.destroy(new PlugdError("PLUGD_ERR_HTTP_BODY_INCOMPLETE"));
        this.host.finished(dropped, this, false, 0);
      }
      if (completed) this.#endSocket();
      else this.socket.destroy();
      return;
    }
    this.#resume(PAUSE.pipeline);
    const next = this.queue[0];
    if (next !== undefined) {
      if (next.continueWanted) this.#sendContinue(next);
      if (next.response !== undefined) this.#writer.writeNext();
    } else if (this.#ending) {
      if (this.#bodyExchange === undefined) this.#endSocket();
    } else if ((this.#parser?.idle ?? true) && this.#bodyExchange === undefined) {
      this.#releaseParserIfIdle();
    }
    this.#rearm();
  }

  /** Stop reading until the socket drains (a client that does not read its responses). */
  writeBlocked(): void {
    this.#pause(PAUSE.write);
  }

  /** CONNECT: hand the socket and the bytes after the head to the tunnel. */
  detachForTunnel(): Buffer {
    this.#pause(PAUSE.tunnel);
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("end");
    this.socket.removeAllListeners("drain");
    const early = this.#remainder ?? Buffer.alloc(0);
    this.#remainder = undefined;
    return early;
  }

  #removeFinished(exchange: Exchange): void {
    const i = this.queue.indexOf(exchange);
    if (i === 0) this.queue.shift();
    else if (i > 0) this.queue.splice(i, 1);
  }

  // --- deadlines and teardown ------------------------------------------------------------------

  /**
   * The one deadline that fits the connection's state now. A kind already armed keeps its time
   * (a head's deadline runs from its first byte and is never extended; onBody refreshes the
   * body's on progress).
   */
  #rearm(): void {
    const limits = this.host.config.limits;
    const receiving = this.#bodyExchange;
    let kind: number = DEADLINE.none;
    let ms = 0;
    if (this.#closed || (this.#paused & PAUSE.tunnel) !== 0) {
      kind = DEADLINE.none;
    } else if ((this.#paused & PAUSE.write) !== 0) {
      // The client is not reading what we wrote.
      kind = DEADLINE.write;
      ms = limits.bodyTimeoutMs;
    } else if (this.#lingering) {
      kind = DEADLINE.linger;
      ms = LINGER_MS;
    } else if (receiving !== undefined) {
      // Waiting for body bytes, unless the wait is ours: the consumer is behind, or the client
      // waits for a 100 Continue we have not sent yet.
      if (receiving.continueSent && (receiving.discarding || (this.#paused & PAUSE.body) === 0)) {
        kind = DEADLINE.body;
        ms = limits.bodyTimeoutMs;
      }
    } else if (this.#parser?.inHead === true && (this.#paused & PAUSE.pipeline) === 0) {
      kind = DEADLINE.head;
      ms = limits.headersTimeoutMs;
    } else if (this.queue.length === 0 && !this.#ending) {
      kind = DEADLINE.idle;
      ms = limits.keepAliveTimeoutMs;
    }
    if (kind !== this.deadlineKind) this.#arm(kind, ms);
  }

  /** Ends our side once what was written has gone out; a peer that never closes is cut off later. */
  #endSocket(): void {
    if (this.#lingering) return;
    this.#lingering = true;
    this.socket.end();
    this.#rearm();
  }

  #arm(kind: number, ms: number): void {
    this.deadlineKind = kind;
    this.deadline = kind === DEADLINE.none ? 0 : Date.now() + ms;
  }

  /** The server's sweep found this connection past its deadline. */
  expire(): void {
    const kind = this.deadlineKind;
    this.#arm(DEADLINE.none, 0);
    if (kind === DEADLINE.head) {
      this.#timeoutResponse("PLUGD_ERR_HTTP_HEADERS_TIMEOUT");
    } else if (kind === DEADLINE.body) {
      const exchange = this.#bodyExchange;
      this.#bodyExchange = undefined;
      if (exchange !== undefined) {
        exchange.closeAfter = true;
        exchange.body?.destroy(new PlugdError("PLUGD_ERR_HTTP_BODY_TIMEOUT"));
      }
      this.#stopReading();
      if (exchange === undefined || exchange.response !== undefined) this.destroy();
    } else {
      // Idle keep-alive or a client that stopped reading: close without a word (RFC 9112 §9.8).
      this.destroy();
    }
  }

  #timeoutResponse(code: ErrorCode): void {
    const spec = ERRORS[code];
    this.#reject({ status: spec.status ?? 408, code, message: spec.summary }, this.#remainder ?? Buffer.alloc(0), Date.now());
  }

  /** Graceful stop: close now when idle, else after the in-flight responses. */
  shutdown(): void {
    // A tunnel owns the socket now: pausing it would stall the tunnel. It runs until it ends
    // or the server's grace period is over (then the server destroys it).
    if ((this.#paused & PAUSE.tunnel) !== 0) return;
    if (this.#bodyExchange !== undefined || this.#parser?.inBody === true) {
      // A body is on its way: let it arrive (its handler is waiting for it); reading stops
      // after this message (onMessageComplete).
      this.#ending = true;
      this.#rearm();
      return;
    }
    this.#stopReading();
    if (this.queue.length === 0) this.#endSocket();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#arm(DEADLINE.none, 0);
    for (const exchange of this.queue) {
      exchange.request?.abort();
      if (exchange.body !== undefined && !exchange.body.complete) {
        exchange.body.destroy(new PlugdError("PLUGD_ERR_HTTP_BODY_INCOMPLETE"));
      }
    }
    this.#writer.abort();
    this.host.closed(this);
  }
}
