// FastCGI 1.0 records against the specification's byte layouts (§3.3 records, §3.4 name-value
// pairs, §5.1 FCGI_BeginRequestBody, §5.5 FCGI_EndRequestBody), and the incremental decoder
// under every split of its input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeEndRequest,
  decodeNameValuePairs,
  encodeBeginRequest,
  encodeEndRequest,
  encodeNameValuePairs,
  encodeRecord,
  encodeRequestStart,
  encodeStream,
  paddingFor,
  RECORD,
  RecordDecoder,
  ROLE_RESPONDER,
  type FcgiRecord,
} from "../../../plugins/php-cgi/fastcgi/records.ts";

const hex = (b: Buffer): string => b.toString("hex");

function decodeAll(bytes: Buffer, cuts: number[] = []): FcgiRecord[] {
  const out: FcgiRecord[] = [];
  const decoder = new RecordDecoder((r) => out.push({ ...r, content: Buffer.from(r.content) }));
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    expect(decoder.push(bytes.subarray(at, cut))).toBe(true);
    at = cut;
  }
  expect(decoder.push(bytes.subarray(at))).toBe(true);
  expect(decoder.idle).toBe(true);
  return out;
}

describe("FastCGI records", () => {
  it("the header: version 1, type, requestId and contentLength big-endian, paddingLength, reserved (§3.3)", () => {
    const record = encodeRecord(RECORD.STDOUT, 0x0102, Buffer.from("abc"));
    // 01 06 0102 0003 05 00 | "abc" | 5 bytes of padding to a multiple of 8
    expect(hex(record)).toBe("01060102000305006162630000000000");
    expect(record.length % 8).toBe(0);
  });

  it("padding makes content a multiple of 8; none when it already is", () => {
    expect([0, 1, 7, 8, 9, 65535].map(paddingFor)).toEqual([0, 7, 1, 0, 7, 1]);
    expect(encodeRecord(RECORD.STDIN, 1, Buffer.alloc(8)).length).toBe(16);
  });

  it("FCGI_BEGIN_REQUEST: role FCGI_RESPONDER, flags FCGI_KEEP_CONN, 5 reserved bytes (§5.1)", () => {
    expect(hex(encodeBeginRequest(1, ROLE_RESPONDER, true))).toBe("0101000100080000" + "0001010000000000");
    expect(hex(encodeBeginRequest(1, ROLE_RESPONDER, false))).toBe("0101000100080000" + "0001000000000000");
  });

  it("FCGI_END_REQUEST: appStatus (4 bytes) and protocolStatus (§5.5)", () => {
    const record = encodeEndRequest(1, 0x01020304, 2);
    expect(hex(record)).toBe("0103000100080000" + "0102030402000000");
    expect(decodeEndRequest(record.subarray(8))).toEqual({ appStatus: 0x01020304, protocolStatus: 2 });
    expect(decodeEndRequest(Buffer.alloc(7))).toBeUndefined();
  });

  it("a stream ends with an empty record of its type (§3.3)", () => {
    expect(hex(encodeStream(RECORD.STDIN, 1, Buffer.alloc(0), true))).toBe("0105000100000000");
    const data = encodeStream(RECORD.STDIN, 1, Buffer.from("x"), true);
    expect(hex(data)).toBe("0105000100010700" + "78" + "00000000000000" + "0105000100000000");
  });

  it("content over 65535 bytes is cut into several records", () => {
    const content = Buffer.alloc(65535 * 2 + 10, 7);
    const records = decodeAll(encodeStream(RECORD.STDOUT, 3, content, true));
    expect(records.map((r) => r.content.length)).toEqual([65535, 65535, 10, 0]);
    expect(Buffer.concat(records.map((r) => r.content)).equals(content)).toBe(true);
    expect(records.every((r) => r.type === RECORD.STDOUT && r.requestId === 3)).toBe(true);
    expect(() => encodeRecord(RECORD.STDOUT, 1, Buffer.alloc(65536))).toThrow(RangeError);
  });

  it("name-value pairs: lengths under 128 in one byte, longer in four with the top bit set (§3.4)", () => {
    expect(hex(encodeNameValuePairs([["AB", "xyz"]]))).toBe("0203" + "4142" + "78797a");
    const long = "v".repeat(128);
    const encoded = encodeNameValuePairs([["N", long]]);
    expect(hex(encoded.subarray(0, 5))).toBe("01" + "80000080");
    expect(encoded.length).toBe(1 + 4 + 1 + 128);
    const longName = "n".repeat(300);
    expect(hex(encodeNameValuePairs([[longName, ""]]).subarray(0, 5))).toBe("8000012c00");
    // 127 is still one byte.
    expect(encodeNameValuePairs([["A", "b".repeat(127)]])[1]).toBe(127);
  });

  it("name-value pairs round-trip, bytes unchanged (latin1 byte strings)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: "binary-ascii", maxLength: 300 }), fc.string({ unit: "binary-ascii", maxLength: 300 })), { maxLength: 20 }), (pairs) => {
        const latin1 = pairs.map(([n, v]) => [Buffer.from(n, "latin1").toString("latin1"), Buffer.from(v, "latin1").toString("latin1")] as [string, string]);
        expect(decodeNameValuePairs(encodeNameValuePairs(latin1))).toEqual(latin1);
      }),
    );
    // A truncated pair is malformed.
    expect(decodeNameValuePairs(Buffer.from("0203414278", "hex"))).toBeUndefined();
    expect(decodeNameValuePairs(Buffer.from("80", "hex"))).toBeUndefined();
  });

  it("a request's opening: BEGIN_REQUEST, PARAMS, the empty PARAMS, and the empty STDIN without a body (§6.2)", () => {
    const bytes = encodeRequestStart(1, new Map([["REQUEST_METHOD", "GET"], ["SCRIPT_FILENAME", "/srv/a.php"]]), true, true);
    const records = decodeAll(bytes);
    expect(records.map((r) => [r.type, r.content.length > 0])).toEqual([
      [RECORD.BEGIN_REQUEST, true],
      [RECORD.PARAMS, true],
      [RECORD.PARAMS, false],
      [RECORD.STDIN, false],
    ]);
    expect(hex(records[0]!.content)).toBe("0001010000000000");
    expect(decodeNameValuePairs(records[1]!.content)).toEqual([["REQUEST_METHOD", "GET"], ["SCRIPT_FILENAME", "/srv/a.php"]]);
    // With a body, STDIN is left open for the body's records.
    expect(decodeAll(encodeRequestStart(1, new Map(), true, false)).map((r) => r.type)).toEqual([RECORD.BEGIN_REQUEST, RECORD.PARAMS]);
  });

  it("the decoder gives the same records for any split of the bytes", () => {
    const bytes = Buffer.concat([
      encodeStream(RECORD.STDOUT, 1, Buffer.from("Status: 200\r\n\r\nhello"), true),
      encodeStream(RECORD.STDERR, 1, Buffer.from("warning"), false),
      encodeEndRequest(1, 0, 0),
    ]);
    const whole = decodeAll(bytes);
    expect(whole.map((r) => r.type)).toEqual([RECORD.STDOUT, RECORD.STDOUT, RECORD.STDERR, RECORD.END_REQUEST]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        expect(decodeAll(bytes, cuts)).toEqual(whole);
      }),
    );
  });

  it("the decoder stops on a record that is not version 1", () => {
    const decoder = new RecordDecoder(() => {});
    expect(decoder.push(Buffer.from("0206000100000000", "hex"))).toBe(false);
    expect(decoder.failed).toMatch(/version 2/);
    expect(decoder.push(encodeRecord(RECORD.STDOUT, 1))).toBe(false);
  });
});
