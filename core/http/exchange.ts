// One request/response pair on a connection, in the order it arrived.
import type { RequestBodyStream } from "./body.ts";
import type { Request, RequestInfo } from "./request.ts";
import type { Response } from "./response.ts";

/** Where an exchange is in the lifecycle (core/lifecycle.ts drives it). */
export const STAGE = Object.freeze({
  start: 0,
  raw: 1,
  parsed: 2,
  authorize: 3,
  handle: 4,
  handled: 5,
  respond: 6,
  done: 7,
} as const);

export class Exchange {
  /** Lifecycle position. */
  stage: number = STAGE.start;
  /** The final response, once the lifecycle produced it. */
  response: Response | undefined = undefined;
  /** Close the connection after this response (parse error, onRawRequest answer, CONNECT refusal). */
  closeAfter = false;
  /** Body bytes still arriving are dropped (nobody read them before the response). */
  discarding = false;
  /** Bytes dropped while discarding. */
  drained = 0;
  /** `100 Continue` has gone out (or is not needed). */
  continueSent = false;
  /** The consumer asked for the body while an earlier response was still being written. */
  continueWanted = false;
  /** Head complete (ms since the epoch). */
  readonly startedAt: number;
  /** The lifecycle's continuation, made once per exchange. */
  next: (err: unknown, result?: unknown) => void;

  /** Undefined for a request the core rejected while parsing. */
  readonly request: Request | undefined;
  readonly info: RequestInfo;
  readonly body: RequestBodyStream | undefined;

  constructor(request: Request | undefined, info: RequestInfo, body: RequestBodyStream | undefined, startedAt: number) {
    this.request = request;
    this.info = info;
    this.body = body;
    this.startedAt = startedAt;
    this.next = noop;
  }
}

function noop(): void {}
