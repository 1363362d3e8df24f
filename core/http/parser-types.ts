// The contract between the pure request parser and the connection that drives it.
import type { ErrorCode } from "../errors.ts";
import type { HeaderFields, RequestHead } from "./head.ts";

export interface ParserLimits {
  readonly maxHeaderBytes: number;
  readonly maxHeaderCount: number;
  readonly maxTargetLength: number;
  readonly maxBodyBytes: number;
}

/** A request the parser refused. The core answers `status` and closes the connection. */
export interface ParseError {
  readonly status: number;
  readonly code: ErrorCode;
  /** Short, safe to show the client (no echo of the input). */
  readonly message: string;
}

/**
 * Callbacks the parser calls while `execute` runs. They are called synchronously, in wire
 * order. Any of them may call `parser.pause()`; `execute` then returns right after it.
 */
export interface ParserEvents {
  /** A complete, valid head. For CONNECT the parser pauses itself after this call. */
  onHead(head: RequestHead): void;
  /** Body bytes, de-chunked. The buffer may be a slice of the input passed to execute. */
  onBody(chunk: Buffer): void;
  /** The message (body and trailers) is complete. */
  onMessageComplete(trailers: HeaderFields | undefined): void;
  /**
   * Input is invalid. `raw` is the head bytes received so far (at most maxHeaderBytes + a little),
   * for logging. After this the parser is dead: execute consumes nothing more.
   */
  onError(error: ParseError, raw: Buffer): void;
}
