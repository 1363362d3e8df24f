// The wire-case table, fed whole, one byte at a time and in random pieces; plus the parser's
// API contract (pause/resume, zero-copy bodies, state getters, nothing after onError).
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../../core/errors.ts";
import type { RequestHead } from "../../../core/http/head.ts";
import { RequestParser } from "../../../core/http/parser.ts";
import type { ParseError, ParserEvents } from "../../../core/http/parser-types.ts";
import { WIRE_CASES, type WireCase } from "./parser-cases.ts";
import { type Outcome, TEST_LIMITS, bytewise, prng, randomSplits, runParser } from "./parser-harness.ts";

const bytesOf = (c: WireCase): Buffer => (typeof c.input === "string" ? Buffer.from(c.input, "latin1") : c.input);
const limitsOf = (c: WireCase) => ({ ...TEST_LIMITS, ...c.limits });

function check(c: WireCase, out: Outcome): void {
  expect(out.violations).toEqual([]);
  if (c.error === undefined) {
    expect(out.error).toBeUndefined();
  } else {
    expect(out.error).toEqual(c.error);
    expect(ERRORS[c.error.code].status).toBe(c.error.status);
  }
  expect(out.messages.length).toBe(c.messages.length);
  c.messages.forEach((want, i) => {
    const got = out.messages[i];
    if (got === undefined) return;
    const { headers, fieldCount, body, trailers, complete, ...fields } = want;
    expect(got).toMatchObject(fields);
    expect(got.complete).toBe(complete ?? true);
    expect(got.body).toBe(body ?? "");
    expect(got.trailers).toEqual(trailers);
    if (fieldCount !== undefined) expect(got.headers.length / 2).toBe(fieldCount);
    const flat = got.headers;
    for (const [name, value] of Object.entries(headers ?? {})) {
      const values: string[] = [];
      for (let k = 0; k < flat.length; k += 2) if (flat[k] === name) values.push(flat[k + 1] as string);
      expect(values.length === 0 ? undefined : values.join(", "), name).toBe(value);
    }
  });
  expect(out.rest).toBe(c.rest);
}

describe("wire cases", () => {
  it("has at least 150 cases with unique names", () => {
    expect(WIRE_CASES.length).toBeGreaterThanOrEqual(150);
    expect(new Set(WIRE_CASES.map((c) => c.name)).size).toBe(WIRE_CASES.length);
  });

  describe.each(WIRE_CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, index) => {
    const input = bytesOf(c);
    const options = { limits: limitsOf(c), eof: c.eof ?? false };
    const whole = runParser([input], options);

    it("whole", () => check(c, whole));

    it("one byte at a time", () => {
      const out = runParser(bytewise(input), options);
      check(c, out);
      expect(out).toEqual(whole);
    });

    it("random splits", () => {
      const rand = prng(index + 1);
      for (let run = 0; run < 5; run++) expect(runParser(randomSplits(input, rand), options)).toEqual(whole);
    });

    it("pausing in every callback", () => {
      const paused = { ...options, pauseIn: () => true };
      expect(runParser([input], paused)).toEqual(whole);
      expect(runParser(randomSplits(input, prng(index + 1000)), paused)).toEqual(whole);
    });
  });
});

/** Records events; optional hooks run inside the callbacks. */
function recorder(hooks: Partial<Record<"head" | "body" | "complete", () => void>> = {}) {
  const log: string[] = [];
  const heads: RequestHead[] = [];
  const bodies: Buffer[] = [];
  const errors: ParseError[] = [];
  const events: ParserEvents = {
    onHead(h) {
      heads.push(h);
      log.push(`head ${h.method} ${h.target}`);
      hooks.head?.();
    },
    onBody(b) {
      bodies.push(b);
      log.push(`body ${b.toString("latin1")}`);
      hooks.body?.();
    },
    onMessageComplete(t) {
      log.push(`complete${t === undefined ? "" : ` ${t.flat.join("=")}`}`);
      hooks.complete?.();
    },
    onError(e) {
      errors.push(e);
      log.push(`error ${e.status} ${e.code}`);
    },
  };
  return { log, heads, bodies, errors, events };
}

describe("RequestParser API", () => {
  it("passes Content-Length and chunk bodies as views of the input, without copying", () => {
    const r = recorder();
    const input = Buffer.from("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n");
    new RequestParser(TEST_LIMITS, r.events).execute(input);
    expect(r.bodies.map((b) => b.toString())).toEqual(["abc", "de"]);
    for (const b of r.bodies) expect(b.buffer).toBe(input.buffer);
  });

  it("gives head.raw exactly as received, whole or split", () => {
    const text = "GET /x HTTP/1.1\r\nHost: a\r\nX:  y \r\n\r\n";
    for (const chunks of [[Buffer.from(text)], bytewise(Buffer.from(text))]) {
      const r = recorder();
      const p = new RequestParser(TEST_LIMITS, r.events);
      for (const c of chunks) p.execute(c);
      expect(r.heads[0]?.raw.toString()).toBe(text);
    }
  });

  it("returns right after the event that paused it, and resumes with the rest", () => {
    let p: RequestParser | undefined;
    const r = recorder({ head: () => p?.pause() });
    p = new RequestParser(TEST_LIMITS, r.events);
    const headText = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n";
    const input = Buffer.from(`${headText}hiGET / HTTP/1.1\r\nHost: a\r\n\r\n`);
    const n = p.execute(input);
    expect(n).toBe(headText.length);
    expect(r.log).toEqual(["head POST /"]);
    expect(p.execute(input.subarray(n))).toBe(0); // still paused
    p.resume();
    const m = p.execute(input.subarray(n));
    expect(m).toBe("hi".length + "GET / HTTP/1.1\r\nHost: a\r\n\r\n".length);
    expect(r.log).toEqual(["head POST /", "body hi", "complete", "head GET /"]);
    p.resume();
    expect(r.log.at(-1)).toBe("complete");
  });

  it("delivers onMessageComplete owed after a pause in onHead from resume()", () => {
    let p: RequestParser | undefined;
    const r = recorder({ head: () => p?.pause() });
    p = new RequestParser(TEST_LIMITS, r.events);
    const input = Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(p.execute(input)).toBe(input.length);
    expect(r.log).toEqual(["head GET /"]);
    expect(p.idle).toBe(false);
    p.resume();
    expect(r.log).toEqual(["head GET /", "complete"]);
    expect(p.idle).toBe(true);
    expect(p.execute(Buffer.alloc(0))).toBe(0);
    expect(r.log.length).toBe(2);
  });

  it("delivers what is owed from the running execute when resume() is called in a callback", () => {
    let p: RequestParser | undefined;
    const r = recorder({
      head: () => {
        p?.pause();
        p?.resume();
      },
    });
    p = new RequestParser(TEST_LIMITS, r.events);
    p.execute(Buffer.from("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"));
    expect(r.log).toEqual(["head GET /1", "complete", "head GET /2", "complete"]);
  });

  it("pauses itself after a CONNECT head; resuming goes on with HTTP", () => {
    const r = recorder();
    const p = new RequestParser(TEST_LIMITS, r.events);
    const head = "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n";
    const input = Buffer.from(`${head}GET / HTTP/1.1\r\nHost: a\r\n\r\n`);
    const n = p.execute(input);
    expect(n).toBe(head.length);
    expect(p.paused).toBe(true);
    expect(r.log).toEqual(["head CONNECT a:443"]);
    p.resume();
    expect(r.log).toEqual(["head CONNECT a:443", "complete"]);
    p.execute(input.subarray(n));
    expect(r.log).toEqual(["head CONNECT a:443", "complete", "head GET /", "complete"]);
  });

  it("reports idle, inHead, inBody and dead", () => {
    const r = recorder();
    const p = new RequestParser(TEST_LIMITS, r.events);
    const state = () => [p.idle, p.inHead, p.inBody, p.dead];
    expect(state()).toEqual([true, false, false, false]);
    p.execute(Buffer.from("\r\n"));
    expect(state()).toEqual([false, true, false, false]);
    p.execute(Buffer.from("POST / HTTP/1.1\r\nHost: a\r\n"));
    expect(state()).toEqual([false, true, false, false]);
    p.execute(Buffer.from("Content-Length: 4\r\n\r\nab"));
    expect(state()).toEqual([false, false, true, false]);
    p.execute(Buffer.from("cd"));
    expect(state()).toEqual([true, false, false, false]);
    p.execute(Buffer.from("BAD\r\n"));
    expect(state()).toEqual([false, false, false, true]);
  });

  it("calls nothing after onError, consumes nothing, and ignores finish()", () => {
    const r = recorder();
    const p = new RequestParser(TEST_LIMITS, r.events);
    const n = p.execute(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/9.9\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    expect(n).toBeLessThan(80);
    expect(p.execute(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))).toBe(0);
    p.finish();
    expect(r.log).toEqual(["head GET /", "complete", "error 505 PLUGD_ERR_HTTP_VERSION_NOT_SUPPORTED"]);
  });

  it("takes status and message of a ParseError from the registry", () => {
    const r = recorder();
    new RequestParser(TEST_LIMITS, r.events).execute(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
    const e = r.errors[0];
    expect(e).toEqual({ status: 501, code: "PLUGD_ERR_HTTP_UNKNOWN_TRANSFER_CODING", message: ERRORS.PLUGD_ERR_HTTP_UNKNOWN_TRANSFER_CODING.summary });
  });

  it("passes the head bytes received so far to onError", () => {
    let raw: Buffer | undefined;
    const p = new RequestParser(TEST_LIMITS, { ...recorder().events, onError: (_e, r) => (raw = r) });
    p.execute(Buffer.from("GET / HTTP/1.1\r\nX : y\r\n"));
    expect(raw?.toString()).toBe("GET / HTTP/1.1\r\nX : y\r\n");
  });

  it("keeps a split head's memory bounded by maxHeaderBytes", () => {
    const r = recorder();
    const p = new RequestParser({ ...TEST_LIMITS, maxHeaderBytes: 1024 }, r.events);
    const big = Buffer.alloc(1 << 20, "a");
    p.execute(Buffer.from("GET / HTTP/1.1\r\nX: "));
    const n = p.execute(big);
    expect(n).toBeLessThanOrEqual(1024);
    expect(r.errors[0]?.status).toBe(431);
  });
});
