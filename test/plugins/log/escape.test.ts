// The escaping rules, byte by byte (nginx/Apache style), and the redaction of credentials in
// raw heads, malformed ones included.
import { describe, expect, it } from "vitest";
import { escapeBare, escapeQuoted, jsonString, redactHead } from "../../../plugins/log/escape.ts";
import { errorLine } from "../../../plugins/log/error-line.ts";

describe("log: escaping", () => {
  it.each([
    ["/plain/path?a=1&b=2", "/plain/path?a=1&b=2"],
    ['a"b', 'a\\"b'],
    ["a\\b", "a\\\\b"],
    ["a\r\nb", "a\\x0d\\x0ab"],
    ["\x00\x01\x1f\x7f", "\\x00\\x01\\x1f\\x7f"],
    ["caf\xe9\x80\xff", "caf\\xe9\\x80\\xff"],
    ["tab\there", "tab\\x09here"],
    ["with space", "with space"],
    ["€", "\\xe2\\x82\\xac"],
    ["😀", "\\xf0\\x9f\\x98\\x80"],
    ["lone \ud800 surrogate", "lone \\xef\\xbf\\xbd surrogate"],
  ])("escapeQuoted(%j) = %j", (input, expected) => {
    expect(escapeQuoted(input)).toBe(expected);
  });

  it("escapes spaces too in bare fields", () => {
    expect(escapeBare("bob smith")).toBe("bob\\x20smith");
    expect(escapeBare('a"b c')).toBe('a\\"b\\x20c');
  });

  it("gives output that is printable ASCII only, whatever the input", () => {
    let all = "";
    for (let c = 0; c < 0x300; c++) all += String.fromCharCode(c);
    expect(escapeQuoted(all)).toMatch(/^[\x20-\x7e]*$/);
    // No unescaped quote: every quote is preceded by an odd number of backslashes.
    expect(escapeQuoted(all).replace(/\\\\/g, "").replace(/\\"/g, "")).not.toContain('"');
  });

  it.each([
    ["plain /a?b=c", '"plain /a?b=c"'],
    ['q"b\\s', '"q\\"b\\\\s"'],
    ["cr\r\nlf\x00", '"cr\\r\\nlf\\u0000"'],
    ["caf\xe9\x7f\u2028", '"caf\\u00e9\\u007f\\u2028"'],
    ["\ud800", '"\\ud800"'],
  ])("jsonString(%j) = %s, ASCII-only and parsing back to the input", (input, expected) => {
    expect(jsonString(input)).toBe(expected);
    expect(JSON.parse(jsonString(input))).toBe(input);
  });

  it("never writes Authorization, Proxy-Authorization or Cookie values in a raw head", () => {
    const raw = Buffer.from(
      "GET / HTTP/1.1\r\nAUTHORIZATION: Basic c2VjcmV0\r\nproxy-authorization:Basic c2VjcmV0\r\n" +
        "Cookie\t: a=secret\nCookie: b=secret\r\n secret-fold\r\n\tsecret-fold2\r\nX-Cookie: visible\rAuthorization: Bearer secret\r\n\r\n",
      "latin1",
    );
    const out = redactHead(raw).toString("latin1");
    expect(out).not.toContain("secret");
    expect(out).toContain("X-Cookie: visible");
    expect(out).toBe(
      "GET / HTTP/1.1\r\nAUTHORIZATION: [redacted]\r\nproxy-authorization: [redacted]\r\n" +
        "Cookie\t: [redacted]\nCookie: [redacted]\r\n [redacted]\r\n\t[redacted]\r\nX-Cookie: visible\rAuthorization: [redacted]\r\n\r\n",
    );
  });

  it("writes error lines as one logfmt line, with caller fields unable to replace the line's own", () => {
    const line = errorLine(false, 0, "warn", "my site", 'said "hi"\nbye', { msg: "x", "bad key=": "v v", n: 3, gone: undefined, cookie: "a=b" });
    expect(line).toBe('time=1970-01-01T00:00:00.000Z level=warn server="my site" msg="said \\"hi\\"\\x0abye" _msg=x bad_key_="v v" n=3 cookie=[redacted]\n');
    const json = JSON.parse(errorLine(true, 0, "error", "s", "m", { level: "info", authorization: "Basic x" }));
    expect(json).toEqual({ time: "1970-01-01T00:00:00.000Z", level: "error", server: "s", msg: "m", _level: "info", authorization: "[redacted]" });
  });
});
