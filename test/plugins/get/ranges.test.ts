// Byte ranges (RFC 9110 §14) with real clients: curl -r for single and multiple ranges,
// wget -c to resume a download, raw requests for If-Range, 416 and the abusive range sets of
// CVE-2011-3192. Cached (a Buffer) and uncached (an open file) take different code paths.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, makeSite, patterned, raw, run, serveSite, type Answer, type Site } from "./helpers.ts";

const SIZE = 10_000;
const DATA = patterned(SIZE, 7);

const MODES = [
  ["cached", {}],
  ["uncached", { cache: { maxFileBytes: 0 } }],
] as const;

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses a multipart/byteranges body by its boundary (RFC 2046 §5.1.1). */
function parseMultipart(a: Answer): Part[] {
  const m = /^multipart\/byteranges; boundary=(.+)$/.exec(a.headers["content-type"] ?? "");
  if (m === null) throw new Error(`not multipart: ${a.headers["content-type"]}`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Part[] = [];
  let pos = a.body.indexOf(delimiter);
  expect(pos).toBeGreaterThanOrEqual(0);
  for (;;) {
    pos += delimiter.length;
    if (a.body.subarray(pos, pos + 2).toString() === "--") break;
    const headEnd = a.body.indexOf("\r\n\r\n", pos);
    const headers: Record<string, string> = {};
    for (const line of a.body.subarray(pos + 2, headEnd).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = a.body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headEnd + 4);
    expect(next).toBeGreaterThan(0);
    parts.push({ headers, body: a.body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

describe.each(MODES)("ranges (%s)", (_mode, cacheOptions) => {
  let site: Site;
  let server: TestServer;
  let url: string;
  let etag: string;
  let lastModified: string;
  beforeAll(async () => {
    site = makeSite({ "data.bin": DATA, "empty.txt": "", "text.txt": "0123456789" });
    server = await serveSite(site, cacheOptions);
    url = `${server.url}/data.bin`;
    const full = await raw(server.port, "/data.bin");
    etag = full.headers.etag as string;
    lastModified = full.headers["last-modified"] as string;
  });
  afterAll(async () => {
    await server.stop();
    site.cleanup();
  });

  it("206 for curl -r 0-99 with Content-Range and exactly those bytes", async () => {
    const a = await curl(url, "-r", "0-99");
    expect(a.status).toBe(206);
    expect(a.headers["content-range"]).toBe(`bytes 0-99/${SIZE}`);
    expect(a.headers["content-length"]).toBe("100");
    expect(a.headers.etag).toBe(etag);
    expect(a.body.equals(DATA.subarray(0, 100))).toBe(true);
  });

  it.each([
    ["-500", SIZE - 500, SIZE],
    ["9000-", 9000, SIZE],
    ["9990-20000", 9990, SIZE],
    [`${SIZE - 1}-${SIZE - 1}`, SIZE - 1, SIZE],
    ["-20000", 0, SIZE],
  ])("206 for curl -r %s (suffix, open-ended, clamped)", async (spec, start, end) => {
    const a = await curl(url, "-r", spec);
    expect(a.status).toBe(206);
    expect(a.headers["content-range"]).toBe(`bytes ${start}-${end - 1}/${SIZE}`);
    expect(a.body.equals(DATA.subarray(start, end))).toBe(true);
  });

  it("multipart/byteranges for curl -r 0-9,100-199,-10: parts in order, each with its Content-Range", async () => {
    const a = await curl(url, "-r", "0-9,100-199,-10");
    expect(a.status).toBe(206);
    expect(a.headers["content-range"]).toBeUndefined();
    expect(Number(a.headers["content-length"])).toBe(a.body.length);
    const parts = parseMultipart(a);
    expect(parts.map((p) => p.headers["content-range"])).toEqual([`bytes 0-9/${SIZE}`, `bytes 100-199/${SIZE}`, `bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`]);
    expect(parts.every((p) => p.headers["content-type"] === "application/octet-stream")).toBe(true);
    expect(parts[0]?.body.equals(DATA.subarray(0, 10))).toBe(true);
    expect(parts[1]?.body.equals(DATA.subarray(100, 200))).toBe(true);
    expect(parts[2]?.body.equals(DATA.subarray(SIZE - 10))).toBe(true);
  });

  it("two boundaries never repeat: each multipart response has its own", async () => {
    const a = await curl(url, "-r", "0-0,2-2");
    const b = await curl(url, "-r", "0-0,2-2");
    expect(a.headers["content-type"]).not.toBe(b.headers["content-type"]);
  });

  it("416 with Content-Range: bytes */size when no range is satisfiable", async () => {
    const a = await curl(url, "-r", `${SIZE}-`);
    expect(a.status).toBe(416);
    expect(a.headers["content-range"]).toBe(`bytes */${SIZE}`);
    const b = await raw(server.port, "/data.bin", { Range: `bytes=${SIZE + 5}-${SIZE + 9}, 99999999999999999999-` });
    expect(b.status).toBe(416);
    // An unsatisfiable range among satisfiable ones is dropped.
    const c = await raw(server.port, "/data.bin", { Range: `bytes=${SIZE}-, 0-1` });
    expect(c.status).toBe(206);
    expect(c.headers["content-range"]).toBe(`bytes 0-1/${SIZE}`);
  });

  it("If-Range: 206 when the ETag or the date matches; the whole file (200) otherwise", async () => {
    const byTag = await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Range": etag });
    expect(byTag.status).toBe(206);
    const byDate = await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Range": lastModified });
    expect(byDate.status).toBe(206);
    const stale = await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Range": '"old-tag"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(DATA)).toBe(true);
    // A weak tag never matches (RFC 9110 §13.1.5), nor does another date.
    expect((await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Range": `W/${etag}` })).status).toBe(200);
    expect((await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Range": "Mon, 01 Jan 2001 00:00:00 GMT" })).status).toBe(200);
  });

  it("preconditions come before Range: If-None-Match matching gives 304, If-Match failing 412", async () => {
    expect((await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-None-Match": etag })).status).toBe(304);
    expect((await raw(server.port, "/data.bin", { Range: "bytes=0-9", "If-Match": '"x"' })).status).toBe(412);
  });

  it("CVE-2011-3192: too many ranges, or overlapping ones, get the whole file with 200", async () => {
    const many = Array.from({ length: 17 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(",");
    const a = await raw(server.port, "/data.bin", { Range: `bytes=${many}` });
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(SIZE);
    const overlapping = await raw(server.port, "/data.bin", { Range: "bytes=0-5000,100-200" });
    expect(overlapping.status).toBe(200);
    expect(overlapping.body.length).toBe(SIZE);
    // The Apache killer's pattern: "0-" plus many overlapping ranges.
    const killer = ["0-", ...Array.from({ length: 12 }, (_, i) => `5-${i + 5}`)].join(",");
    const k = await raw(server.port, "/data.bin", { Range: `bytes=${killer}` });
    expect(k.status).toBe(200);
    expect(k.body.length).toBe(SIZE);
    // At the limit, non-overlapping: still served as ranges.
    const sixteen = Array.from({ length: 16 }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(",");
    expect((await raw(server.port, "/data.bin", { Range: `bytes=${sixteen}` })).status).toBe(206);
  });

  it.each([["bytes=abc"], ["bytes=5-1"], ["bytes="], ["items=0-1"], ["bytes 0-1"], ["bytes=0-1;x"]])("a malformed or foreign Range (%s) is ignored: 200", async (value) => {
    const a = await raw(server.port, "/data.bin", { Range: value });
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(SIZE);
  });

  it("the unit is case-insensitive; whitespace and empty list elements are allowed", async () => {
    const a = await raw(server.port, "/text.txt", { Range: "Bytes=0-1 ,, 4-5" });
    expect(a.status).toBe(206);
    const parts = parseMultipart(a);
    expect(parts.map((p) => p.body.toString())).toEqual(["01", "45"]);
    expect(parts[0]?.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("HEAD ignores Range (only GET defines it); an empty file ignores it too", async () => {
    const head = await raw(server.port, "/data.bin", { Range: "bytes=0-9" }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(SIZE));
    const empty = await raw(server.port, "/empty.txt", { Range: "bytes=0-9" });
    expect(empty.status).toBe(200);
    expect(empty.headers["content-length"]).toBe("0");
  });

  it("wget -c resumes a partial download with a range request", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plugd-get-wget-"));
    try {
      const out = path.join(dir, "data.bin");
      // A "partial download" whose first bytes differ from the server's: if wget fetched the
      // whole file again instead of resuming, they would be overwritten.
      const prefix = Buffer.alloc(4000, 0x41);
      writeFileSync(out, prefix);
      const r = await run("wget", ["-c", "-q", "-O", out, url]);
      expect(r.code, r.stderr).toBe(0);
      const got = readFileSync(out);
      expect(got.length).toBe(SIZE);
      expect(got.subarray(0, 4000).equals(prefix)).toBe(true);
      expect(got.subarray(4000).equals(DATA.subarray(4000))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
