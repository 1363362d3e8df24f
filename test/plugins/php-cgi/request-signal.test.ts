// core/http/request.ts: a plugin that reads request.signal only after the client left (the PHP
// gateway looks at it once a script has run for a moment, not on every request) must find it
// aborted. Before the fix, abort() without a signal made yet was forgotten.
import { describe, expect, it } from "vitest";
import { HeaderFields, type RequestHead } from "../../../core/http/head.ts";
import { Request } from "../../../core/http/request.ts";
import { createServer } from "../../../core/server.ts";

function request(): Request {
  const head: RequestHead = {
    method: "GET",
    target: "/",
    targetForm: "origin",
    version: "1.1",
    headers: new HeaderFields(["host", "t"]),
    rawPath: "/",
    query: "",
    authority: "t",
    bodyKind: "none",
    contentLength: 0,
    keepAlive: true,
    expectContinue: false,
    raw: Buffer.alloc(0),
  };
  return new Request(head, "/", createServer({ root: "/" }).config, { remoteAddress: "127.0.0.1", remotePort: 1, localAddress: "127.0.0.1", localPort: 2, encrypted: false }, undefined);
}

describe("Request.signal", () => {
  it("made after abort(): already aborted", () => {
    const r = request();
    r.abort();
    expect(r.signal.aborted).toBe(true);
    expect((r.signal.reason as Error).message).toBe("client went away");
  });

  it("made before abort(): aborted by it, listeners called", () => {
    const r = request();
    let called = 0;
    r.signal.addEventListener("abort", () => called++);
    expect(r.signal.aborted).toBe(false);
    r.abort();
    expect(r.signal.aborted).toBe(true);
    expect(called).toBe(1);
  });

  it("never aborted: never aborted", () => {
    expect(request().signal.aborted).toBe(false);
  });
});
