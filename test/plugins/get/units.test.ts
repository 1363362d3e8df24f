// The get plugin's pure parts, by table: Range sets, Accept-Encoding, entity-tag lists,
// HTTP-dates, and the precondition order. The socket tests cover the same rules end to end;
// these pin the edge cases.
import { describe, expect, it } from "vitest";
import { HeaderFields } from "../../../core/http/head.ts";
import { evaluatePreconditions, ifRangeHolds, matchesTagList } from "../../../plugins/get/conditional.ts";
import { chooseCoding } from "../../../plugins/get/encoding.ts";
import { parseHttpDate } from "../../../plugins/get/http-date.ts";
import { decideRanges } from "../../../plugins/get/ranges.ts";
import { readFileFields } from "../../../plugins/get/request-fields.ts";

describe("decideRanges", () => {
  const cases: Array<[string, number, unknown]> = [
    ["bytes=0-0", 10, { kind: "ranges", ranges: [{ start: 0, end: 1 }] }],
    ["bytes=0-", 10, { kind: "ranges", ranges: [{ start: 0, end: 10 }] }],
    ["bytes=-3", 10, { kind: "ranges", ranges: [{ start: 7, end: 10 }] }],
    ["bytes=-0", 10, { kind: "unsatisfiable" }],
    ["bytes=10-", 10, { kind: "unsatisfiable" }],
    ["bytes=5-100", 10, { kind: "ranges", ranges: [{ start: 5, end: 10 }] }],
    ["bytes=0-99999999999999999999999", 10, { kind: "ranges", ranges: [{ start: 0, end: 10 }] }],
    ["bytes=99999999999999999999999-", 10, { kind: "unsatisfiable" }],
    ["bytes=0-1,3-4", 10, { kind: "ranges", ranges: [{ start: 0, end: 2 }, { start: 3, end: 5 }] }],
    ["bytes=3-4,0-1", 10, { kind: "ranges", ranges: [{ start: 3, end: 5 }, { start: 0, end: 2 }] }],
    ["bytes=0-1,2-3", 10, { kind: "ranges", ranges: [{ start: 0, end: 2 }, { start: 2, end: 4 }] }],
    ["bytes=0-2,2-3", 10, { kind: "ignore" }],
    ["bytes=0-,-1", 10, { kind: "ignore" }],
    ["bytes=3-2", 10, { kind: "ignore" }],
    ["bytes=a-b", 10, { kind: "ignore" }],
    ["bytes=1", 10, { kind: "ignore" }],
    ["bytes=--1", 10, { kind: "ignore" }],
    ["bytes=", 10, { kind: "ignore" }],
    ["bytes= , ,", 10, { kind: "ignore" }],
    ["BYTES=0-0", 10, { kind: "ranges", ranges: [{ start: 0, end: 1 }] }],
    ["bits=0-0", 10, { kind: "ignore" }],
    ["bytes=0-0", 0, { kind: "ignore" }],
  ];
  it.each(cases)("%s of %i bytes", (value, size, expected) => {
    expect(decideRanges([value], size, 16)).toEqual(expected);
  });

  it("more ranges than the cap: ignored; two Range lines: ignored", () => {
    expect(decideRanges(["bytes=0-0,2-2,4-4"], 10, 2)).toEqual({ kind: "ignore" });
    expect(decideRanges(["bytes=0-0,2-2"], 10, 2).kind).toBe("ranges");
    expect(decideRanges(["bytes=0-0", "bytes=2-2"], 10, 16)).toEqual({ kind: "ignore" });
  });
});

describe("chooseCoding", () => {
  const both = ["br", "gzip"] as const;
  it.each([
    [undefined, undefined],
    ["", undefined],
    ["gzip, deflate, br", "br"],
    ["gzip", "gzip"],
    ["GZIP", "gzip"],
    ["br;q=0.4, gzip;q=0.5", "gzip"],
    ["br;q=0, gzip;q=0", undefined],
    ["*", "br"],
    ["*;q=0", undefined],
    ["identity;q=1, br;q=0.9", undefined],
    ["identity;q=0.5, br;q=0.5", "br"],
    ["br ; q=1.000", "br"],
    ["br;q=1.5, gzip", "gzip"],
    ["br;q=0.0001, gzip;q=0.1", "gzip"],
  ])("Accept-Encoding %s -> %s", (ae, expected) => {
    expect(chooseCoding(ae, both)).toBe(expected);
  });
});

describe("entity-tag lists", () => {
  const tag = '"abc"';
  it.each([
    ['"abc"', true, true],
    ['W/"abc"', false, true],
    ['"x", "abc"', true, true],
    ['"x","y"', false, false],
    ["*", true, true],
    ["abc", false, false],
    ['"ab', false, false],
    ['"abc" junk', false, false],
  ])("%s: strong %s, weak %s", (list, strong, weak) => {
    expect(matchesTagList(list, tag, true)).toBe(strong);
    expect(matchesTagList(list, tag, false)).toBe(weak);
  });
});

describe("parseHttpDate", () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
  it.each([
    ["Sun, 06 Nov 1994 08:49:37 GMT", t],
    ["Sunday, 06-Nov-94 08:49:37 GMT", t],
    ["Sun Nov  6 08:49:37 1994", t],
    ["Sun, 06 Nov 1994 08:49:37 UTC", undefined],
    ["Sun, 31 Feb 1994 08:49:37 GMT", undefined],
    ["06 Nov 1994", undefined],
    ["1994-11-06T08:49:37Z", undefined],
    ["", undefined],
  ])("%s", (text, expected) => {
    expect(parseHttpDate(text)).toBe(expected);
  });
});

describe("preconditions and If-Range", () => {
  const v = { etag: '"t1"', lastModified: 1_000_000 };
  const fields = (flat: string[]) => readFileFields(new HeaderFields(flat));
  it("no relevant field: nothing allocated", () => {
    expect(fields(["host", "x", "accept", "*/*", "user-agent", "curl"])).toBeUndefined();
  });
  it.each([
    [["if-match", '"t1"'], 0],
    [["if-match", '"t2"'], 412],
    [["if-unmodified-since", "Thu, 01 Jan 1970 00:00:00 GMT"], 412],
    [["if-unmodified-since", "Sat, 01 Jan 2000 00:00:00 GMT"], 0],
    [["if-unmodified-since", "not a date"], 0],
    [["if-none-match", '"t1"'], 304],
    [["if-none-match", '"t2"'], 0],
    [["if-modified-since", new Date(1_000_000_000).toUTCString()], 304],
    [["if-modified-since", new Date(999_999_000).toUTCString()], 0],
    [["if-none-match", '"t2"', "if-modified-since", new Date(2_000_000_000).toUTCString()], 0],
    [["if-match", '"t2"', "if-none-match", '"t1"'], 412],
  ])("%j -> %i", (flat, outcome) => {
    const f = fields(flat);
    expect(f).toBeDefined();
    expect(evaluatePreconditions(f!, v)).toBe(outcome);
  });
  it("If-Range: the exact tag or the exact date", () => {
    expect(ifRangeHolds('"t1"', v)).toBe(true);
    expect(ifRangeHolds('W/"t1"', v)).toBe(false);
    expect(ifRangeHolds(new Date(1_000_000_000).toUTCString(), v)).toBe(true);
    expect(ifRangeHolds(new Date(1_000_001_000).toUTCString(), v)).toBe(false);
  });
});
