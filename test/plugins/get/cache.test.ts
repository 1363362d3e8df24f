// The small-file cache: a hit does not look at the disk until the revalidation bound
// (cache.revalidateMs) has passed; after it, a change (new content, a new size, a deletion, a
// new sibling) is served. The cache stays within its entry, byte and file-size limits.
import { rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { cacheStats } from "../../../plugins/get/index.ts";
import type { TestServer } from "../../helpers/server.ts";
import { makeSite, raw, serveSite, type Site } from "./helpers.ts";

let site: Site | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  site?.cleanup();
  server = undefined;
  site = undefined;
});

describe("cache: freshness", () => {
  it("within the bound a hit is served from memory, without looking at the disk", async () => {
    site = makeSite({ "a.txt": "version 1\n" });
    // A bound far longer than the test: nothing may be re-read during it.
    server = await serveSite(site, { cache: { revalidateMs: 600_000 } });
    expect((await raw(server.port, "/a.txt")).body.toString()).toBe("version 1\n");
    expect(cacheStats(server.server)?.entries).toBe(1);
    writeFileSync(site.file("a.txt"), "version 2, longer\n");
    rmSync(site.file("a.txt"));
    const a = await raw(server.port, "/a.txt");
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("version 1\n");
  });

  it("after the bound, a changed file is served: same size, new size, deleted", async () => {
    const BOUND = 150;
    site = makeSite({ "a.txt": "version 1\n" });
    server = await serveSite(site, { cache: { revalidateMs: BOUND } });
    const first = await raw(server.port, "/a.txt");
    expect(first.body.toString()).toBe("version 1\n");

    writeFileSync(site.file("a.txt"), "version 2\n"); // same length
    await sleep(BOUND);
    const second = await raw(server.port, "/a.txt");
    expect(second.body.toString()).toBe("version 2\n");
    expect(second.headers.etag).not.toBe(first.headers.etag);

    writeFileSync(site.file("a.txt"), "version 3 is longer\n");
    await sleep(BOUND);
    const third = await raw(server.port, "/a.txt");
    expect(third.body.toString()).toBe("version 3 is longer\n");
    expect(third.headers["content-length"]).toBe("20");

    rmSync(site.file("a.txt"));
    await sleep(BOUND);
    expect((await raw(server.port, "/a.txt")).status).toBe(404);
    expect(cacheStats(server.server)?.entries).toBe(0);
  });

  it("after the bound, a new precompressed sibling and a new index file are seen", async () => {
    const BOUND = 150;
    site = makeSite({ "app.js": "js\n", "docs/": "", "docs/index.html": "html\n" });
    server = await serveSite(site, { index: ["index.htm", "index.html"], cache: { revalidateMs: BOUND } });
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "gzip" })).headers["content-encoding"]).toBeUndefined();
    expect((await raw(server.port, "/docs/")).body.toString()).toBe("html\n");
    writeFileSync(site.file("app.js.gz"), Buffer.from([0x1f, 0x8b]));
    writeFileSync(site.file("docs/index.htm"), "htm\n");
    await sleep(BOUND);
    const js = await raw(server.port, "/app.js", { "Accept-Encoding": "gzip" });
    expect(js.headers["content-encoding"]).toBe("gzip");
    expect(js.headers.vary).toBe("accept-encoding");
    expect((await raw(server.port, "/docs/")).body.toString()).toBe("htm\n");
  });

  it("revalidateMs 0: every request looks at the disk", async () => {
    site = makeSite({ "a.txt": "one\n" });
    server = await serveSite(site, { cache: { revalidateMs: 0 } });
    expect((await raw(server.port, "/a.txt")).body.toString()).toBe("one\n");
    writeFileSync(site.file("a.txt"), "two\n");
    expect((await raw(server.port, "/a.txt")).body.toString()).toBe("two\n");
  });
});

describe("cache: bounds", () => {
  const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.txt`, Buffer.alloc(1000, 97 + i)]));

  it("maxEntries: never more entries than allowed, every file still served", async () => {
    site = makeSite(files);
    server = await serveSite(site, { cache: { maxEntries: 3 } });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 8; i++) {
        const a = await raw(server.port, `/f${i}.txt`);
        expect(a.body.equals(Buffer.alloc(1000, 97 + i))).toBe(true);
        expect(cacheStats(server.server)?.entries).toBeLessThanOrEqual(3);
      }
    }
    expect(cacheStats(server.server)?.entries).toBe(3);
  });

  it("maxBytes: the bytes held stay under the limit", async () => {
    site = makeSite(files);
    server = await serveSite(site, { cache: { maxBytes: 5000 } });
    for (let i = 0; i < 8; i++) {
      expect((await raw(server.port, `/f${i}.txt`)).status).toBe(200);
      expect(cacheStats(server.server)?.bytes).toBeLessThanOrEqual(5000);
    }
    expect(cacheStats(server.server)?.entries).toBeGreaterThan(0);
  });

  it("maxFileBytes: a larger file is not cached (and is still served)", async () => {
    site = makeSite({ "small.txt": "s", "large.txt": Buffer.alloc(5000, 120) });
    server = await serveSite(site, { cache: { maxFileBytes: 4096 } });
    expect((await raw(server.port, "/large.txt")).body.length).toBe(5000);
    expect(cacheStats(server.server)?.entries).toBe(0);
    expect((await raw(server.port, "/small.txt")).body.toString()).toBe("s");
    expect(cacheStats(server.server)?.entries).toBe(1);
  });

  it("a recently used entry survives eviction (second chance)", async () => {
    site = makeSite(files);
    server = await serveSite(site, { cache: { maxEntries: 2, revalidateMs: 600_000 } });
    await raw(server.port, "/f0.txt");
    await raw(server.port, "/f1.txt");
    await raw(server.port, "/f0.txt"); // hit: f0 is used
    await raw(server.port, "/f2.txt"); // evicts f1, not f0
    rmSync(site.file("f0.txt"));
    rmSync(site.file("f1.txt"));
    expect((await raw(server.port, "/f0.txt")).status).toBe(200);
    expect((await raw(server.port, "/f1.txt")).status).toBe(404);
  });
});
