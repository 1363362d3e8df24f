// Walks one exchange through the hooks (DESIGN §2). The hooks are driven with callAsync, so a
// request whose taps are all synchronous runs to its response without allocating a promise,
// and a hook nobody tapped is skipped (isUsed()).
import type { Connection } from "./http/connection.ts";
import { STAGE, type Exchange } from "./http/exchange.ts";
import type { Request } from "./http/request.ts";
import { error as errorResponse, isResponse, type Response } from "./http/response.ts";
import { KNOWN_METHODS } from "./http/status.ts";
import type { Hooks } from "./hooks.ts";
import { describeFailure } from "./tap-errors.ts";
import { serverTimingHeader } from "./timing.ts";

export class Lifecycle {
  readonly #hooks: Hooks;
  /** `Allow` for 405s: every method some plugin handles, computed when the server starts. */
  #allow = "";

  readonly #methods: readonly string[];
  readonly #timing: boolean;

  /**
   * `methods`: every key handle.for() was called with (kept by core/instrument.ts).
   * `timing`: add a Server-Timing header with each plugin's time (core/timing.ts).
   */
  constructor(hooks: Hooks, methods: readonly string[], timing = false) {
    this.#hooks = hooks;
    this.#methods = methods;
    this.#timing = timing;
  }

  /** Call once taps are final (at listen). */
  freeze(): void {
    this.#allow = this.allowedMethods().join(", ");
  }

  /** Methods with at least one handle tap, in a stable order. */
  allowedMethods(): string[] {
    return this.#methods.filter((m) => this.#hooks.handle.get(m)?.isUsed() === true).sort();
  }

  run(exchange: Exchange, connection: Connection): void {
    exchange.next = (err, result) => this.#step(exchange, connection, err, result);
    this.#step(exchange, connection, null, undefined);
  }

  #step(exchange: Exchange, connection: Connection, err: unknown, result: unknown): void {
    const hooks = this.#hooks;
    const request = exchange.request as Request;
    for (;;) {
      if (err) return this.#fail(exchange, connection, err);
      if (result !== undefined && result !== null) {
        if (!isResponse(result)) {
          return this.#fail(exchange, connection, Object.assign(new Error("A tap returned something that is not a Response"), { code: "PLUGD_ERR_HOOK_BAD_RESULT" }));
        }
        if (exchange.stage === STAGE.raw) exchange.closeAfter = true;
        return this.#respond(exchange, connection, result);
      }
      exchange.stage++;
      switch (exchange.stage) {
        case STAGE.raw:
          if (hooks.onRawRequest.isUsed()) {
            const c = request.connection;
            return hooks.onRawRequest.callAsync({ raw: request.head.raw, remoteAddress: c.remoteAddress, remotePort: c.remotePort, server: request.server }, exchange.next);
          }
          break;
        case STAGE.parsed:
          if (hooks.onParsed.isUsed()) return hooks.onParsed.callAsync(request, exchange.next);
          break;
        case STAGE.authorize:
          if (hooks.authorize.isUsed()) return hooks.authorize.callAsync(request, exchange.next);
          break;
        case STAGE.handle: {
          const hook = hooks.handle.get(request.method);
          if (hook === undefined || !hook.isUsed()) return this.#respond(exchange, connection, this.#noHandler(request.method));
          return hook.callAsync(request, exchange.next);
        }
        default: {
          // No tap answered.
          const notFound = errorResponse(404);
          notFound.error = { code: "PLUGD_ERR_HOOK_NOT_FOUND", message: "No plugin answered the request" };
          return this.#respond(exchange, connection, notFound);
        }
      }
      result = undefined;
    }
  }

  #noHandler(method: string): Response {
    if (KNOWN_METHODS.has(method)) {
      // RFC 9110 §15.5.6: a 405 lists the methods the target supports.
      const res = errorResponse(405, undefined, { allow: this.#allow });
      res.error = { code: "PLUGD_ERR_HOOK_METHOD_NOT_ALLOWED", message: `No plugin handles ${method}` };
      return res;
    }
    // RFC 9110 §15.6.2: a method the server does not recognize.
    const res = errorResponse(501);
    res.error = { code: "PLUGD_ERR_HOOK_NOT_IMPLEMENTED", message: "Unknown method" };
    return res;
  }

  #fail(exchange: Exchange, connection: Connection, err: unknown): void {
    const failure = describeFailure(err, exchange.stage);
    const res = errorResponse(failure.status, failure.expose ? failure.message : undefined, failure.headers);
    res.error = failure.report;
    if (exchange.stage === STAGE.raw) exchange.closeAfter = true;
    if (exchange.stage >= STAGE.respond) return this.#send(exchange, connection, res);
    return this.#respond(exchange, connection, res);
  }

  #respond(exchange: Exchange, connection: Connection, response: Response): void {
    const hooks = this.#hooks;
    const request = exchange.request as Request;
    if (!hooks.respond.isUsed()) {
      exchange.stage = STAGE.done;
      return this.#send(exchange, connection, response);
    }
    exchange.stage = STAGE.respond;
    hooks.respond.callAsync(response, request, (err, final) => {
      if (err) return this.#fail(exchange, connection, err);
      exchange.stage = STAGE.done;
      if (!isResponse(final)) return this.#fail(exchange, connection, Object.assign(new Error("A respond tap returned something that is not a Response"), { code: "PLUGD_ERR_HOOK_BAD_RESULT" }));
      this.#send(exchange, connection, final);
    });
  }

  #send(exchange: Exchange, connection: Connection, response: Response): void {
    if (this.#timing) {
      const header = serverTimingHeader(exchange.request as Request);
      if (header !== undefined) response.headers = { ...response.headers, "server-timing": header };
    }
    connection.respond(exchange, response);
  }
}
