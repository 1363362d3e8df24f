// Precompressed siblings (file.br, file.gz) chosen by Accept-Encoding (RFC 9110 §12.5.3), with
// Vary and Content-Encoding, a distinct ETag per encoding, and curl --compressed decoding them.
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, makeSite, raw, serveSite, type Site } from "./helpers.ts";

const SOURCE = Buffer.from("export const answer = 42;\n".repeat(200));
const BR = brotliCompressSync(SOURCE);
const GZ = gzipSync(SOURCE);

const MODES = [
  ["cached", {}],
  ["uncached", { cache: { maxFileBytes: 0 } }],
] as const;

describe.each(MODES)("precompressed siblings (%s)", (_mode, cacheOptions) => {
  let site: Site;
  let server: TestServer;
  beforeAll(async () => {
    site = makeSite({
      "app.js": SOURCE,
      "app.js.br": BR,
      "app.js.gz": GZ,
      "only-gz.css": SOURCE,
      "only-gz.css.gz": GZ,
      "plain.txt": "plain\n",
      "docs/": "",
      "docs/index.html": SOURCE,
      "docs/index.html.gz": GZ,
    });
    server = await serveSite(site, cacheOptions);
  });
  afterAll(async () => {
    await server.stop();
    site.cleanup();
  });

  it("br when the client accepts br and gzip (br preferred), with Vary and Content-Encoding", async () => {
    const a = await raw(server.port, "/app.js", { "Accept-Encoding": "gzip, deflate, br" });
    expect(a.status).toBe(200);
    expect(a.headers["content-encoding"]).toBe("br");
    expect(a.headers.vary).toBe("accept-encoding");
    expect(a.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(a.headers["content-length"]).toBe(String(BR.length));
    expect(brotliDecompressSync(a.body).equals(SOURCE)).toBe(true);
  });

  it("gzip when only gzip is accepted; x-gzip is gzip", async () => {
    for (const ae of ["gzip", "x-gzip", "br;q=0, gzip"]) {
      const a = await raw(server.port, "/app.js", { "Accept-Encoding": ae });
      expect(a.headers["content-encoding"], ae).toBe("gzip");
      expect(gunzipSync(a.body).equals(SOURCE)).toBe(true);
    }
  });

  it("q-values: the highest wins; identity when it is preferred or nothing else is accepted", async () => {
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "br;q=0.5, gzip;q=0.9" })).headers["content-encoding"]).toBe("gzip");
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "*" })).headers["content-encoding"]).toBe("br");
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "*;q=0.5, br;q=0" })).headers["content-encoding"]).toBe("gzip");
    const preferIdentity = await raw(server.port, "/app.js", { "Accept-Encoding": "br;q=0.1, identity;q=1" });
    expect(preferIdentity.headers["content-encoding"]).toBeUndefined();
    const deflateOnly = await raw(server.port, "/app.js", { "Accept-Encoding": "deflate" });
    expect(deflateOnly.headers["content-encoding"]).toBeUndefined();
    expect(deflateOnly.body.equals(SOURCE)).toBe(true);
    // A malformed q-value drops that element.
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "br;q=2, gzip" })).headers["content-encoding"]).toBe("gzip");
  });

  it("identity without Accept-Encoding, still with Vary (the response depends on it)", async () => {
    const a = await raw(server.port, "/app.js");
    expect(a.headers["content-encoding"]).toBeUndefined();
    expect(a.headers.vary).toBe("accept-encoding");
    expect(a.body.equals(SOURCE)).toBe(true);
  });

  it("each encoding has its own ETag, and a 304 only for the tag of the encoding selected", async () => {
    const identity = (await raw(server.port, "/app.js")).headers.etag as string;
    const br = (await raw(server.port, "/app.js", { "Accept-Encoding": "br" })).headers.etag as string;
    const gz = (await raw(server.port, "/app.js", { "Accept-Encoding": "gzip" })).headers.etag as string;
    expect(new Set([identity, br, gz]).size).toBe(3);
    const hit = await raw(server.port, "/app.js", { "Accept-Encoding": "br", "If-None-Match": br });
    expect(hit.status).toBe(304);
    expect(hit.headers.vary).toBe("accept-encoding");
    expect((await raw(server.port, "/app.js", { "Accept-Encoding": "gzip", "If-None-Match": br })).status).toBe(200);
  });

  it("a Range applies to the encoded bytes", async () => {
    const a = await raw(server.port, "/app.js", { "Accept-Encoding": "br", Range: "bytes=0-9" });
    expect(a.status).toBe(206);
    expect(a.headers["content-encoding"]).toBe("br");
    expect(a.headers["content-range"]).toBe(`bytes 0-9/${BR.length}`);
    expect(a.body.equals(BR.subarray(0, 10))).toBe(true);
  });

  it("curl --compressed gets and decodes the sibling", async () => {
    const a = await curl(`${server.url}/app.js`, "--compressed");
    expect(["br", "gzip"]).toContain(a.headers["content-encoding"]);
    expect(a.body.equals(SOURCE)).toBe(true);
  });

  it("an index file's sibling is served for the folder, with the index's Content-Type", async () => {
    const a = await raw(server.port, "/docs/", { "Accept-Encoding": "gzip" });
    expect(a.status).toBe(200);
    expect(a.headers["content-encoding"]).toBe("gzip");
    expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(gunzipSync(a.body).equals(SOURCE)).toBe(true);
  });

  it("only the siblings that exist: .gz alone serves gzip and identity", async () => {
    expect((await raw(server.port, "/only-gz.css", { "Accept-Encoding": "br, gzip" })).headers["content-encoding"]).toBe("gzip");
    expect((await raw(server.port, "/only-gz.css", { "Accept-Encoding": "br" })).headers["content-encoding"]).toBeUndefined();
  });

  it("no Vary for a file without siblings; a sibling asked for by name is itself, not encoded", async () => {
    const a = await raw(server.port, "/plain.txt", { "Accept-Encoding": "br, gzip" });
    expect(a.headers.vary).toBeUndefined();
    expect(a.headers["content-encoding"]).toBeUndefined();
    const gz = await raw(server.port, "/app.js.gz", { "Accept-Encoding": "gzip" });
    expect(gz.headers["content-type"]).toBe("application/gzip");
    expect(gz.headers["content-encoding"]).toBeUndefined();
    expect(gz.body.equals(GZ)).toBe(true);
  });
});

describe("precompressed: off", () => {
  it("precompressed: [] never serves a sibling and sends no Vary", async () => {
    const site = makeSite({ "app.js": SOURCE, "app.js.br": BR });
    const server = await serveSite(site, { precompressed: [] });
    try {
      const a = await raw(server.port, "/app.js", { "Accept-Encoding": "br" });
      expect(a.headers["content-encoding"]).toBeUndefined();
      expect(a.headers.vary).toBeUndefined();
    } finally {
      await server.stop();
      site.cleanup();
    }
  });

  it("precompressed: [\"gzip\", \"br\"] prefers gzip on equal q-values", async () => {
    const site = makeSite({ "app.js": SOURCE, "app.js.br": BR, "app.js.gz": GZ });
    const server = await serveSite(site, { precompressed: ["gzip", "br"] });
    try {
      expect((await raw(server.port, "/app.js", { "Accept-Encoding": "br, gzip" })).headers["content-encoding"]).toBe("gzip");
    } finally {
      await server.stop();
      site.cleanup();
    }
  });
});
