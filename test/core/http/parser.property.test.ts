// Property tests: any split of the input (and any pattern of pause/resume) gives the same
// events; the events match a model of the generated requests; no input makes the parser throw,
// misbehave, or report anything but one registered 4xx/5xx; nothing is called after onError.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode } from "../../../core/errors.ts";
import { RequestParser } from "../../../core/http/parser.ts";
import { type Outcome, TEST_LIMITS, bytewise, prng, randomSplits, runParser } from "./parser-harness.ts";
import { type ModelRequest, mutated, stream } from "./parser-model.ts";

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

function expectModel(out: Outcome, requests: readonly ModelRequest[]): void {
  expect(out.violations).toEqual([]);
  expect(out.error).toBeUndefined();
  expect(out.messages.length).toBe(requests.length);
  requests.forEach((r, i) => {
    const m = out.messages[i];
    expect(m).toMatchObject({ method: r.method, target: r.target, version: r.version, bodyKind: r.bodyKind, body: r.body, complete: true });
    expect(m?.headers).toEqual(r.fields.flat());
    expect(m?.trailers).toEqual(r.trailers?.flat());
    expect(m?.contentLength).toBe(r.bodyKind === "length" ? r.body.length : 0);
  });
}

function expectWellFormed(out: Outcome): void {
  expect(out.violations).toEqual([]);
  if (out.error !== undefined) {
    const spec = ERRORS[out.error.code as ErrorCode];
    expect(spec).toBeDefined();
    expect(out.error.status).toBe(spec.status);
    expect(out.error.status).toBeGreaterThanOrEqual(400);
    expect(out.error.status).toBeLessThan(600);
  }
}

describe("RequestParser properties", () => {
  it("(a) parses generated pipelined requests as the model says, whatever the split", () => {
    fc.assert(
      fc.property(stream, seed, ({ requests, bytes }, s) => {
        const whole = runParser([bytes]);
        expectModel(whole, requests);
        const rand = prng(s);
        expect(runParser(randomSplits(bytes, rand))).toEqual(whole);
        expect(runParser(bytewise(bytes))).toEqual(whole);
        // Pausing in random callbacks, then resuming, changes nothing either.
        expect(runParser(randomSplits(bytes, rand), { pauseIn: () => rand() < 0.5 })).toEqual(whole);
      }),
      { numRuns: 250 },
    );
  });

  it("(b) never throws on random bytes and ends in messages or exactly one registered error", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      // A plausible start makes the parser go deeper than the request line.
      fc.tuple(fc.constantFrom("GET / HTTP/1.1\r\n", "POST /x HTTP/1.1\r\nHost: a\r\n", "PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), fc.uint8Array({ maxLength: 120 })).map(([p, b]) =>
        Buffer.concat([Buffer.from(p), Buffer.from(b)]),
      ),
    );
    fc.assert(
      fc.property(bytes, seed, fc.boolean(), (input, s, eof) => {
        const whole = runParser([input], { eof });
        expectWellFormed(whole);
        expect(runParser(randomSplits(input, prng(s)), { eof })).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it("(b) mutations of valid requests: well-formed outcome, split-independent", () => {
    fc.assert(
      fc.property(mutated, seed, fc.boolean(), (input, s, eof) => {
        const whole = runParser([input], { eof });
        expectWellFormed(whole);
        expect(runParser(randomSplits(input, prng(s)), { eof })).toEqual(whole);
        expect(runParser(bytewise(input), { eof })).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it("(b) small limits: over-limit inputs end in 413/414/431, split-independent", () => {
    const limits = { maxHeaderBytes: 128, maxHeaderCount: 4, maxTargetLength: 24, maxBodyBytes: 50 };
    fc.assert(
      fc.property(fc.oneof(stream.map((s) => s.bytes), mutated), seed, (input, s) => {
        const whole = runParser([input], { limits });
        expectWellFormed(whole);
        expect(runParser(randomSplits(input, prng(s)), { limits })).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("(c) calls nothing after onError, whatever comes next", () => {
    fc.assert(
      fc.property(mutated, fc.uint8Array({ minLength: 1, maxLength: 64 }), (input, more) => {
        let errors = 0;
        let after = 0;
        const p = new RequestParser(TEST_LIMITS, {
          onHead: () => void (after += errors),
          onBody: () => void (after += errors),
          onMessageComplete: () => void (after += errors),
          onError: () => void errors++,
        });
        p.execute(input);
        if (!p.dead) return;
        expect(p.execute(Buffer.from(more))).toBe(0);
        p.resume();
        expect(p.execute(input)).toBe(0);
        p.finish();
        expect(errors).toBe(1);
        expect(after).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
