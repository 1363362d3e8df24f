// The script's header section (RFC 3875 §6): where it ends, and what becomes of each field.
import { describe, expect, it } from "vitest";
import { headEnd, isLocalLocation, parseHead } from "../../../plugins/php-cgi/cgi-head.ts";

const b = (s: string): Buffer => Buffer.from(s, "latin1");

function parse(text: string) {
  const result = parseHead(b(text));
  if (!result.ok) throw new Error(result.reason);
  return result.head;
}

describe("CGI response head", () => {
  it.each([
    ["CRLF", "A: 1\r\nB: 2\r\n\r\nbody", 14],
    ["LF", "A: 1\nB: 2\n\nbody", 11],
    ["mixed: LF then CRLF", "A: 1\n\r\nbody", 7],
    ["mixed: CRLF then LF", "A: 1\r\n\nbody", 7],
    ["not yet", "A: 1\r\nB: 2\r\n", -1],
    ["a CR alone is no line end", "A: 1\r\r\rbody", -1],
  ])("the blank line: %s", (_what, text, end) => {
    expect(headEnd(b(text))).toBe(end);
  });

  it("finds the end when the search resumes near the previous bytes", () => {
    const text = b("A: 1\r\n\r\n");
    expect(headEnd(text, 3)).toBe(8);
  });

  it("Status (default none), Location, and the rest with lower-case names", () => {
    const head = parse("Status: 404 Not Found\r\nContent-Type: text/html\r\nX-A: 1\r\n");
    expect(head.status).toBe(404);
    expect(head.location).toBeUndefined();
    expect(head.headers).toEqual({ "content-type": "text/html", "x-a": "1" });
    expect(parse("Status: 201\nLocation: /new\n")).toMatchObject({ status: 201, location: "/new" });
    expect(parse("Content-Type: text/plain\n").status).toBeUndefined();
  });

  it("repeated fields stay separate (Set-Cookie)", () => {
    expect(parse("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: x/y\r\n").headers["set-cookie"]).toEqual(["a=1", "b=2"]);
  });

  it("hop-by-hop fields, those named by Connection, and Date are dropped (RFC 9110 §7.6.1)", () => {
    const head = parse("Connection: close, X-Private\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nTE: trailers\r\nTrailer: X\r\nProxy-Connection: keep-alive\r\nX-Private: 1\r\nDate: yesterday\r\nX-Kept: yes\r\n");
    expect(head.headers).toEqual({ "x-kept": "yes" });
    expect(head.dropped.length).toBe(9);
  });

  it("a value with a control character is dropped: no response splitting (CWE-113)", () => {
    const head = parse("Content-Type: text/plain\r\nX-Inject: a\rSet-Cookie: evil=1\r\nX-Nul: a\0b\r\nX-Tab: a\tb\r\n");
    expect(head.headers).toEqual({ "content-type": "text/plain", "x-tab": "a\tb" });
    expect(head.headers["set-cookie"]).toBeUndefined();
    expect(head.dropped.join()).toMatch(/X-Inject/);
  });

  it("Content-Length is kept when it is a number, one value or equal ones", () => {
    expect(parse("Content-Length: 12\n").headers["content-length"]).toBe("12");
    expect(parse("Content-Length: 12\nContent-Length: 12\n").headers["content-length"]).toBe("12");
    expect(parse("Content-Length: 12\nContent-Length: 13\nX: y\n").headers["content-length"]).toBeUndefined();
    expect(parse("Content-Length: -1\nX: y\n").headers["content-length"]).toBeUndefined();
  });

  it.each([
    ["a line without a colon", "garbage\r\n"],
    ["an empty name", ": value\r\n"],
    ["a name that is not a token", "Bad Name: x\r\n"],
    ["a folded line", "A: 1\r\n  more\r\n"],
    ["a 1xx status", "Status: 100 Continue\r\n"],
    ["a status out of range", "Status: 600 Nope\r\n"],
    ["a status that is not a number", "Status: OK\r\n"],
    ["no field at all", "\r\n"],
  ])("malformed (502): %s", (_what, text) => {
    expect(parseHead(b(text)).ok).toBe(false);
  });

  it("local Location: an absolute path, not a network-path reference", () => {
    expect(isLocalLocation("/x?y")).toBe(true);
    expect(isLocalLocation("//evil.example/x")).toBe(false);
    expect(isLocalLocation("http://example.com/")).toBe(false);
    expect(isLocalLocation("page.php")).toBe(false);
  });
});
