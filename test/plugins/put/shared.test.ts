// The shared pieces put/delete/options/post (and get, php-cgi) rely on:
// plugins/shared/etag.ts and plugins/shared/scripts.ts.
import { describe, expect, it } from "vitest";
import { createServer } from "../../../core/server.ts";
import {
  fileETag,
  ifMatchPasses,
  ifNoneMatchPasses,
  parseEntityTags,
  preconditionsPass,
  underFileLock,
} from "../../../plugins/shared/etag.ts";
import { addScriptExtensions, findScriptExtension, isGatewayScript, lastExtension, scriptExtensions } from "../../../plugins/shared/scripts.ts";

const stats = { size: 10, mtimeMs: 1_700_000_000_123.25, ino: 4242 };
const tag = fileETag(stats);
const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] });

describe("etag", () => {
  it("is strong, quoted, and changes with size, mtime and inode", () => {
    expect(tag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(fileETag({ ...stats, size: 11 })).not.toBe(tag);
    expect(fileETag({ ...stats, mtimeMs: stats.mtimeMs + 0.001 })).not.toBe(tag);
    expect(fileETag({ ...stats, ino: 4243 })).not.toBe(tag);
  });

  it.each([
    ["*", "*"],
    [`"a"`, [{ weak: false, opaque: `"a"` }]],
    [` W/"a" , "b",,`, [{ weak: true, opaque: `"a"` }, { weak: false, opaque: `"b"` }]],
    [`a`, undefined],
    [`"a" "b"`, undefined],
    [`"a`, undefined],
  ] as const)("parses %j", (value, parsed) => {
    expect(parseEntityTags(value)).toEqual(parsed);
  });

  it("If-Match compares strongly (RFC 9110 §13.1.1); If-None-Match weakly (§13.1.2)", () => {
    expect(ifMatchPasses(tag, tag)).toBe(true);
    expect(ifMatchPasses(`W/${tag}`, tag)).toBe(false);
    expect(ifMatchPasses("*", tag)).toBe(true);
    expect(ifMatchPasses("*", undefined)).toBe(false);
    expect(ifMatchPasses("garbage", tag)).toBe(false);
    expect(ifNoneMatchPasses(`W/${tag}`, tag)).toBe(false);
    expect(ifNoneMatchPasses("*", tag)).toBe(false);
    expect(ifNoneMatchPasses("*", undefined)).toBe(true);
    expect(ifNoneMatchPasses(`"other"`, tag)).toBe(true);
  });

  it("evaluates If-Match before If-Unmodified-Since, then If-None-Match (RFC 9110 §13.2.2)", () => {
    const old = "Sat, 01 Jan 2000 00:00:00 GMT";
    expect(preconditionsPass(headers({ "if-unmodified-since": old }), stats)).toBe(false);
    // If-Match present: If-Unmodified-Since is not evaluated.
    expect(preconditionsPass(headers({ "if-match": tag, "if-unmodified-since": old }), stats)).toBe(true);
    expect(preconditionsPass(headers({ "if-match": tag, "if-none-match": tag }), stats)).toBe(false);
    expect(preconditionsPass(headers({ "if-unmodified-since": "not a date" }), stats)).toBe(true);
    // Not an HTTP-date (RFC 9110 §5.6.7), so ignored, though Date.parse would take it.
    expect(preconditionsPass(headers({ "if-unmodified-since": "2000-01-01" }), stats)).toBe(true);
    expect(preconditionsPass(headers({ "if-unmodified-since": "Saturday, 01-Jan-00 00:00:00 GMT" }), stats)).toBe(false);
    expect(preconditionsPass(headers({}), undefined)).toBe(true);
  });

  it("underFileLock runs actions on one path one at a time, in order", async () => {
    const events: string[] = [];
    let release!: () => void;
    const first = underFileLock("/x", async () => {
      events.push("1 start");
      await new Promise<void>((r) => (release = r));
      events.push("1 end");
    });
    const second = underFileLock("/x", async () => {
      events.push("2");
    });
    const other = underFileLock("/y", async () => {
      events.push("other path");
    });
    await other;
    expect(events).toEqual(["1 start", "other path"]);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(["1 start", "other path", "1 end", "2"]);
  });
});

describe("scripts", () => {
  const own = new Set([".php", ".sh"]);
  it.each([
    ["/x.php", ".php"],
    ["/X.PHP", ".php"],
    ["/x.php.jpg", ".php"],
    ["/x.jpg/y.php", ".php"],
    ["/x.php/y", ".php"],
    ["/dir/.php", ".php"],
    ["/a/b/run.sh", ".sh"],
    ["/x.phpx", undefined],
    ["/php", undefined],
    ["/x.txt", undefined],
    ["/", undefined],
  ] as const)("findScriptExtension(%j) is %j", (p, ext) => {
    expect(findScriptExtension(p, own)).toBe(ext);
  });

  it("the registry is per server, lower-cased, empty until a gateway registers", () => {
    const a = createServer();
    const b = createServer();
    expect(scriptExtensions(a).size).toBe(0);
    addScriptExtensions(a, [".PHP", "phtml"]);
    expect([...scriptExtensions(a)]).toEqual([".php", ".phtml"]);
    expect(scriptExtensions(b).size).toBe(0);
    expect(isGatewayScript("/x.PHP", scriptExtensions(a))).toBe(true);
    expect(isGatewayScript("/x.php/y", scriptExtensions(a))).toBe(false);
    expect(lastExtension("/a.b/c")).toBe("");
    expect(lastExtension("/.env")).toBe("");
  });
});
