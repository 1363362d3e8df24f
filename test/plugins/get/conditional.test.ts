// Validators and conditional requests (RFC 9110 §13) with real clients: curl's
// --etag-save/--etag-compare (If-None-Match) and -z (If-Modified-Since / If-Unmodified-Since),
// and raw requests for If-Match and the precedence rules of §13.2.2. Cached and uncached.
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, makeSite, raw, serveSite, type Site } from "./helpers.ts";

const CONTENT = "conditional content\n";
// A fixed modification time, well in the past, so dates before and after it are known.
const MTIME = new Date("2024-03-01T12:00:00Z");
const BEFORE = "Thu, 29 Feb 2024 12:00:00 GMT";
const AT = "Fri, 01 Mar 2024 12:00:00 GMT";
const AFTER = "Sat, 02 Mar 2024 12:00:00 GMT";

const MODES = [
  ["cached", {}],
  ["uncached", { cache: { maxFileBytes: 0 } }],
] as const;

describe.each(MODES)("conditional requests (%s)", (_mode, cacheOptions) => {
  let site: Site;
  let server: TestServer;
  let etag: string;
  let work: string;
  beforeAll(async () => {
    site = makeSite({ "page.txt": CONTENT, "assets/": "", "assets/a.css": "a{}\n" });
    utimesSync(site.file("page.txt"), MTIME, MTIME);
    server = await serveSite(site, { ...cacheOptions, cacheControl: [{ path: "/assets/**", value: "public, max-age=60" }] });
    etag = (await raw(server.port, "/page.txt")).headers.etag as string;
    work = mkdtempSync(path.join(tmpdir(), "plugd-get-curl-"));
  });
  afterAll(async () => {
    await server.stop();
    site.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it("sends a strong ETag and Last-Modified from the file's modification time", async () => {
    const a = await raw(server.port, "/page.txt");
    expect(a.headers.etag).toMatch(/^"[^"]+"$/);
    expect(a.headers["last-modified"]).toBe(AT);
  });

  it("304 with curl --etag-save then --etag-compare (If-None-Match); 200 once the file changed", async () => {
    const saved = path.join(work, "etag.txt");
    const first = await curl(`${server.url}/page.txt`, "--etag-save", saved);
    expect(first.status).toBe(200);
    expect(readFileSync(saved, "utf8").trim()).toBe(etag);
    const again = await curl(`${server.url}/page.txt`, "--etag-compare", saved);
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect(again.headers["last-modified"]).toBe(AT);
    expect(again.headers["content-length"]).toBeUndefined();
  });

  it("304 with curl -z (If-Modified-Since) at or after Last-Modified; 200 before it", async () => {
    expect((await curl(`${server.url}/page.txt`, "-z", AT)).status).toBe(304);
    expect((await curl(`${server.url}/page.txt`, "-z", AFTER)).status).toBe(304);
    const before = await curl(`${server.url}/page.txt`, "-z", BEFORE);
    expect(before.status).toBe(200);
    expect(before.body.toString()).toBe(CONTENT);
    // -z with a file name uses the file's own modification time.
    const local = path.join(work, "local-copy.txt");
    writeFileSync(local, CONTENT);
    utimesSync(local, MTIME, MTIME);
    expect((await curl(`${server.url}/page.txt`, "-z", local)).status).toBe(304);
  });

  it("412 with curl -z -DATE (If-Unmodified-Since) before Last-Modified; 200 at it", async () => {
    const failed = await curl(`${server.url}/page.txt`, "-z", `-${BEFORE}`);
    expect(failed.status).toBe(412);
    expect(failed.body.toString()).not.toContain(CONTENT);
    expect((await curl(`${server.url}/page.txt`, "-z", `-${AT}`)).status).toBe(200);
  });

  it("If-Match: 200 for the current tag or *, 412 for another tag or a weak one (strong comparison)", async () => {
    expect((await raw(server.port, "/page.txt", { "If-Match": etag })).status).toBe(200);
    expect((await raw(server.port, "/page.txt", { "If-Match": `"other", ${etag}` })).status).toBe(200);
    expect((await raw(server.port, "/page.txt", { "If-Match": "*" })).status).toBe(200);
    const other = await raw(server.port, "/page.txt", { "If-Match": '"other"' });
    expect(other.status).toBe(412);
    expect((await raw(server.port, "/page.txt", { "If-Match": `W/${etag}` })).status).toBe(412);
  });

  it("If-None-Match: weak comparison (W/ matches), * matches, a list matches any element", async () => {
    expect((await raw(server.port, "/page.txt", { "If-None-Match": `W/${etag}` })).status).toBe(304);
    expect((await raw(server.port, "/page.txt", { "If-None-Match": "*" })).status).toBe(304);
    expect((await raw(server.port, "/page.txt", { "If-None-Match": `"a", ${etag}` })).status).toBe(304);
    expect((await raw(server.port, "/page.txt", { "If-None-Match": '"a", "b"' })).status).toBe(200);
    // A malformed field matches nothing: the full response, never a 304 for a guess.
    expect((await raw(server.port, "/page.txt", { "If-None-Match": "garbage" })).status).toBe(200);
  });

  it("precedence (RFC 9110 §13.2.2): If-Match before If-None-Match, which makes If-Modified-Since ignored", async () => {
    // Step 1 fails first: 412 even though If-None-Match would give 304.
    expect((await raw(server.port, "/page.txt", { "If-Match": '"other"', "If-None-Match": etag })).status).toBe(412);
    // If-Match holds: If-Unmodified-Since (which would fail) is not evaluated.
    expect((await raw(server.port, "/page.txt", { "If-Match": etag, "If-Unmodified-Since": BEFORE })).status).toBe(200);
    // If-None-Match does not match: If-Modified-Since (which would give 304) is ignored.
    expect((await raw(server.port, "/page.txt", { "If-None-Match": '"other"', "If-Modified-Since": AFTER })).status).toBe(200);
    // If-Unmodified-Since passes, If-None-Match matches: 304.
    expect((await raw(server.port, "/page.txt", { "If-Unmodified-Since": AFTER, "If-None-Match": etag })).status).toBe(304);
  });

  it("ignores an invalid or repeated If-Modified-Since; accepts the obsolete date forms", async () => {
    expect((await raw(server.port, "/page.txt", { "If-Modified-Since": "yesterday" })).status).toBe(200);
    const twice = `GET /page.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: ${AFTER}\r\nIf-Modified-Since: ${AFTER}\r\nConnection: close\r\n\r\n`;
    const { rawExchange } = await import("../../helpers/server.ts");
    expect((await rawExchange(server.port, twice)).toString("latin1")).toMatch(/^HTTP\/1\.1 200 /);
    expect((await raw(server.port, "/page.txt", { "If-Modified-Since": "Saturday, 02-Mar-24 12:00:00 GMT" })).status).toBe(304);
    expect((await raw(server.port, "/page.txt", { "If-Modified-Since": "Sat Mar  2 12:00:00 2024" })).status).toBe(304);
  });

  it("HEAD gets 304 too; a 304 carries the Cache-Control a 200 would", async () => {
    expect((await raw(server.port, "/page.txt", { "If-None-Match": etag }, "HEAD")).status).toBe(304);
    const css = await raw(server.port, "/assets/a.css");
    const notModified = await raw(server.port, "/assets/a.css", { "If-None-Match": css.headers.etag as string });
    expect(notModified.status).toBe(304);
    expect(notModified.headers["cache-control"]).toBe("public, max-age=60");
    expect(notModified.headers.etag).toBe(css.headers.etag);
  });

  it("a Last-Modified in the future is replaced by the current time (RFC 9110 §8.8.2.1)", async () => {
    const future = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    writeFileSync(site.file("future.txt"), "f\n");
    utimesSync(site.file("future.txt"), future, future);
    const a = await raw(server.port, "/future.txt");
    const lastModified = Date.parse(a.headers["last-modified"] as string);
    expect(lastModified).toBeLessThanOrEqual(Date.parse(a.headers.date as string));
    expect(statSync(site.file("future.txt")).mtimeMs).toBeGreaterThan(Date.now());
  });
});
