// Drives a RequestParser over a byte stream split in given places and records what it did, in a
// form that compares with toEqual. Shared by the parser's table, property and differential tests.
import type { RequestHead } from "../../../core/http/head.ts";
import { RequestParser } from "../../../core/http/parser.ts";
import type { ParserLimits } from "../../../core/http/parser-types.ts";

export const TEST_LIMITS: ParserLimits = Object.freeze({
  maxHeaderBytes: 8192,
  maxHeaderCount: 64,
  maxTargetLength: 2048,
  maxBodyBytes: 1 << 20,
});

export interface MessageOutcome {
  method: string;
  target: string;
  targetForm: string;
  version: string;
  rawPath: string;
  query: string;
  authority: string;
  bodyKind: string;
  contentLength: number;
  keepAlive: boolean;
  expectContinue: boolean;
  /** Header fields, flat [name, value, ...]. */
  headers: string[];
  /** head.raw as latin1. */
  raw: string;
  /** Body bytes, concatenated, as latin1. */
  body: string;
  complete: boolean;
  /** Trailer fields, flat; undefined when onMessageComplete got none. */
  trailers: string[] | undefined;
}

export interface Outcome {
  messages: MessageOutcome[];
  error: { status: number; code: string } | undefined;
  /** Bytes not consumed when the parser paused itself (CONNECT), as latin1. */
  rest: string | undefined;
  /** Protocol violations seen by the harness (callbacks out of order, after onError, ...). */
  violations: string[];
}

export interface RunOptions {
  limits?: ParserLimits;
  /** Call finish() after the last byte (the peer closed). */
  eof?: boolean;
  /** On a self-pause (CONNECT): stop and report the rest (default), or resume and go on. */
  onPause?: "stop" | "resume";
  /** Pause from inside callbacks when this returns true (then resume and feed the rest). */
  pauseIn?: (event: "head" | "body" | "complete") => boolean;
}

function toOutcome(head: RequestHead): MessageOutcome {
  return {
    method: head.method,
    target: head.target,
    targetForm: head.targetForm,
    version: head.version,
    rawPath: head.rawPath,
    query: head.query,
    authority: head.authority,
    bodyKind: head.bodyKind,
    contentLength: head.contentLength,
    keepAlive: head.keepAlive,
    expectContinue: head.expectContinue,
    headers: [...head.headers.flat],
    raw: head.raw.toString("latin1"),
    body: "",
    complete: false,
    trailers: undefined,
  };
}

/** Split points (sorted offsets strictly inside the input) -> chunks. */
export function splitAt(input: Buffer, points: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p <= last || p >= input.length) continue;
    chunks.push(input.subarray(last, p));
    last = p;
  }
  chunks.push(input.subarray(last));
  return chunks;
}

export function bytewise(input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i++) chunks.push(input.subarray(i, i + 1));
  return chunks.length === 0 ? [input] : chunks;
}

/** A small deterministic PRNG (mulberry32), so a failing split can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomSplits(input: Buffer, rand: () => number): Buffer[] {
  const points: number[] = [];
  for (let i = 1; i < input.length; i++) if (rand() < 0.15) points.push(i);
  return splitAt(input, points);
}

export function runParser(chunks: readonly Buffer[], options: RunOptions = {}): Outcome {
  const out: Outcome = { messages: [], error: undefined, rest: undefined, violations: [] };
  let current: MessageOutcome | undefined;
  let bodyParts: Buffer[] = [];
  const pauseIn = options.pauseIn;
  const parser: RequestParser = new RequestParser(options.limits ?? TEST_LIMITS, {
    onHead(head) {
      if (out.error !== undefined) out.violations.push("onHead after onError");
      if (current !== undefined && !current.complete) out.violations.push("onHead before the previous message completed");
      current = toOutcome(head);
      bodyParts = [];
      out.messages.push(current);
      if (pauseIn?.("head") === true) parser.pause();
    },
    onBody(chunk) {
      if (out.error !== undefined) out.violations.push("onBody after onError");
      if (current === undefined || current.complete) out.violations.push("onBody outside a message");
      if (chunk.length === 0) out.violations.push("empty onBody");
      bodyParts.push(Buffer.from(chunk));
      if (pauseIn?.("body") === true) parser.pause();
    },
    onMessageComplete(trailers) {
      if (out.error !== undefined) out.violations.push("onMessageComplete after onError");
      if (current === undefined || current.complete) {
        out.violations.push("onMessageComplete outside a message");
        return;
      }
      current.complete = true;
      current.body = Buffer.concat(bodyParts).toString("latin1");
      current.trailers = trailers === undefined ? undefined : [...trailers.flat];
      if (pauseIn?.("complete") === true) parser.pause();
    },
    onError(error) {
      if (out.error !== undefined) out.violations.push("second onError");
      out.error = { status: error.status, code: error.code };
    },
  });
  const queue = chunks.slice();
  let stopped = false;
  while (queue.length > 0 && !stopped) {
    let chunk = queue.shift() as Buffer;
    for (;;) {
      let n: number;
      try {
        n = parser.execute(chunk);
      } catch (err) {
        out.violations.push(`execute threw: ${String(err)}`);
        stopped = true;
        break;
      }
      if (parser.dead) {
        stopped = true;
        break;
      }
      if (!parser.paused) {
        if (n !== chunk.length) out.violations.push(`consumed ${n} of ${chunk.length} without pausing`);
        break;
      }
      chunk = chunk.subarray(n);
      const selfPause = current !== undefined && current.method === "CONNECT" && !current.complete;
      if (selfPause && options.onPause !== "resume") {
        out.rest = Buffer.concat([chunk, ...queue]).toString("latin1");
        stopped = true;
        break;
      }
      parser.resume();
    }
  }
  if (current !== undefined && !current.complete) current.body = Buffer.concat(bodyParts).toString("latin1");
  if (options.eof === true && !stopped) parser.finish();
  if (out.error !== undefined && !parser.dead) out.violations.push("onError but not dead");
  return out;
}
