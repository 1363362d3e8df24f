// The get plugin's basics over real sockets: 200 with the right headers, HEAD (curl -I),
// index files (and addIndexFiles), 301 to a folder's slash form, 404, 400 from the core,
// Content-Type, Cache-Control rules, and responses a respond tap may change.
import { execFileSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import get, { addIndexFiles, indexFiles } from "../../../plugins/get/index.ts";
import { countResponses, rawExchange, startServer, type TestServer } from "../../helpers/server.ts";
import { curl, makeSite, patterned, raw, serveSite, type Site } from "./helpers.ts";

const FILES = {
  "index.html": "<h1>home</h1>\n",
  "app.js": "console.log(1);\n",
  "data.json": '{"a":1}\n',
  "style.css": "body{}\n",
  "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  "notes.unknownext": "x",
  "noext": "y",
  "sub/": "",
  "sub/page.html": "<p>page</p>\n",
  "a dir/": "",
  "a dir/x.txt": "x\n",
  "docs/": "",
  "docs/home.htm": "home.htm\n",
  "docs/index.html": "docs index\n",
  "assets/": "",
  "assets/app.123.js": "/*asset*/\n",
};

const MODES = [
  ["cached", {}],
  ["uncached", { cache: { maxFileBytes: 0 } }],
] as const;

describe.each(MODES)("get (%s)", (_mode, cacheOptions) => {
  let site: Site;
  let server: TestServer;
  beforeAll(async () => {
    site = makeSite(FILES);
    server = await serveSite(site, {
      ...cacheOptions,
      cacheControl: [
        { path: "/assets/**", value: "public, max-age=31536000, immutable" },
        { path: "/**/*.html", value: "no-cache" },
      ],
    });
  });
  afterAll(async () => {
    await server.stop();
    site.cleanup();
  });

  it("200: body, Content-Length, Content-Type with charset, ETag, Last-Modified, Accept-Ranges", async () => {
    const a = await curl(`${server.url}/sub/page.html`);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("<p>page</p>\n");
    expect(a.headers["content-length"]).toBe("12");
    expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(a.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
    expect(a.headers["last-modified"]).toMatch(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
    expect(a.headers["accept-ranges"]).toBe("bytes");
    expect(a.headers.vary).toBeUndefined();
    // The same answer the second time (from the cache when cached).
    const b = await curl(`${server.url}/sub/page.html`);
    expect(b.status).toBe(200);
    expect(b.headers.etag).toBe(a.headers.etag);
    expect(b.body.toString()).toBe("<p>page</p>\n");
  });

  it.each([
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/data.json", "application/json; charset=utf-8"],
    ["/style.css", "text/css; charset=utf-8"],
    ["/logo.png", "image/png"],
    ["/notes.unknownext", "application/octet-stream"],
    ["/noext", "application/octet-stream"],
  ])("Content-Type of %s is %s", async (target, type) => {
    const a = await raw(server.port, target);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe(type);
  });

  it("HEAD (curl -I): the GET headers, Content-Length of the file, no body", async () => {
    const get = await curl(`${server.url}/app.js`);
    const head = await curl(`${server.url}/app.js`, "-I");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String("console.log(1);\n".length));
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers["content-type"]).toBe(get.headers["content-type"]);
    expect(head.body.length).toBe(0);
    // On the wire: nothing after the head, and the connection stays usable.
    const wire = await raw(server.port, "/app.js", {}, "HEAD");
    expect(wire.status).toBe(200);
    expect(wire.body.length).toBe(0);
  });

  it("index.html for the root and for a folder with a trailing slash", async () => {
    const a = await curl(`${server.url}/`);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("<h1>home</h1>\n");
    expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
    const d = await curl(`${server.url}/docs/`);
    expect(d.body.toString()).toBe("docs index\n");
  });

  it("404 for a folder without an index file (listing is off by default)", async () => {
    expect((await raw(server.port, "/sub/")).status).toBe(404);
  });

  it("301 from a folder without its slash to the slash form, keeping the query", async () => {
    const a = await curl(`${server.url}/sub`);
    expect(a.status).toBe(301);
    expect(a.headers.location).toBe("/sub/");
    const q = await raw(server.port, "/sub?a=1&b=%20x");
    expect(q.status).toBe(301);
    expect(q.headers.location).toBe("/sub/?a=1&b=%20x");
    const spaced = await raw(server.port, "/a%20dir");
    expect(spaced.status).toBe(301);
    expect(spaced.headers.location).toBe("/a%20dir/");
    // curl follows it to the folder.
    const followed = await curl(`${server.url}/docs`, "-L");
    expect(followed.status).toBe(301);
    expect(followed.body.toString()).toContain("docs index\n");
  });

  it("301 never points off-site: //host/dir is redirected by its normalized path", async () => {
    const a = await raw(server.port, "//sub");
    expect(a.status).toBe(301);
    expect(a.headers.location).toBe("/sub/");
    const b = await raw(server.port, "//evil.example/../sub");
    expect([301, 400, 404]).toContain(b.status);
    if (b.status === 301) expect(b.headers.location?.startsWith("//")).toBe(false);
  });

  it("404 for a missing file, and for a file asked for as a folder", async () => {
    expect((await raw(server.port, "/missing.html")).status).toBe(404);
    expect((await raw(server.port, "/app.js/")).status).toBe(404);
    expect((await raw(server.port, "/sub/missing/")).status).toBe(404);
  });

  it("400 from the core for an encoded slash, a NUL, and a path above the root", async () => {
    expect((await raw(server.port, "/sub%2Fpage.html")).status).toBe(400);
    expect((await raw(server.port, "/app.js%00.txt")).status).toBe(400);
    expect((await raw(server.port, "/../index.html")).status).toBe(400);
  });

  it("Cache-Control by path pattern: first match, on the request path or the index file's path", async () => {
    const asset = await raw(server.port, "/assets/app.123.js");
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const page = await raw(server.port, "/sub/page.html");
    expect(page.headers["cache-control"]).toBe("no-cache");
    const root = await raw(server.port, "/");
    expect(root.headers["cache-control"]).toBe("no-cache");
    const js = await raw(server.port, "/app.js");
    expect(js.headers["cache-control"]).toBeUndefined();
  });
});

describe("get: index names", () => {
  let site: Site;
  let server: TestServer | undefined;
  beforeAll(() => {
    site = makeSite({ "docs/": "", "docs/home.htm": "home.htm\n", "docs/index.html": "index.html\n", "docs/index.gw": "gateway index\n" });
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  afterAll(() => site.cleanup());

  it("the index option sets the names and their order", async () => {
    server = await serveSite(site, { index: ["home.htm", "index.html"] });
    expect((await raw(server.port, "/docs/")).body.toString()).toBe("home.htm\n");
  });

  it("addIndexFiles from another plugin: after the option's names, or first", async () => {
    const gatewayLast = definePlugin({ name: "gw-last", apply: (s) => addIndexFiles(s, ["index.gw"]) });
    server = await serveSite(site, { index: ["missing.html"] }, [gatewayLast]);
    expect(indexFiles(server.server)).toEqual(["missing.html", "index.gw"]);
    expect((await raw(server.port, "/docs/")).body.toString()).toBe("gateway index\n");
    await server.stop();
    const gatewayFirst = definePlugin({ name: "gw-first", apply: (s) => addIndexFiles(s, ["index.gw"], { first: true }) });
    server = await serveSite(site, {}, [gatewayFirst]);
    expect(indexFiles(server.server)).toEqual(["index.gw", "index.html"]);
    expect((await raw(server.port, "/docs/")).body.toString()).toBe("gateway index\n");
  });

  it("addIndexFiles refuses a name that is not one path segment", () => {
    const plugin = definePlugin({ name: "bad", apply: (s) => addIndexFiles(s, ["../x"]) });
    expect(() => plugin.apply({} as never, undefined as never)).toThrow(/not a file name/);
  });
});

describe("get: other plugins' respond taps", () => {
  it("a respond tap that changes the response it gets cannot corrupt cached responses", async () => {
    const site = makeSite({ "a.txt": "a\n" });
    const counter = definePlugin({
      name: "counter",
      apply(s) {
        s.hooks.respond.tap("counter", (res) => {
          const seen = Number(res.headers["x-seen"] ?? 0);
          res.headers["x-seen"] = String(seen + 1);
          return res;
        });
      },
    });
    const server = await serveSite(site, {}, [counter]);
    try {
      for (let i = 0; i < 3; i++) {
        const a = await raw(server.port, "/a.txt");
        expect(a.status).toBe(200);
        expect(a.headers["x-seen"]).toBe("1");
      }
    } finally {
      await server.stop();
      site.cleanup();
    }
  });
});

describe("get: keep-alive and pipelining", () => {
  it("pipelined requests for cached files of every size come back whole and in order", async () => {
    const sizes = [0, 1, 1024, 4095, 4096, 4097, 65536, 200_000];
    const files = Object.fromEntries(sizes.map((n) => [`f${n}.bin`, patterned(n, n + 3)]));
    const site = makeSite(files);
    const server = await serveSite(site);
    try {
      const order = [...sizes, ...sizes.slice().reverse(), 65536, 1024, 65536];
      const requests = order.map((n) => `GET /f${n}.bin HTTP/1.1\r\nHost: t\r\n\r\n`).join("");
      const received = await rawExchange(server.port, requests, (got) => countResponses(got) === order.length && got.length >= expectedLength(order));
      let pos = 0;
      for (const n of order) {
        const headEnd = received.indexOf("\r\n\r\n", pos);
        const head = received.subarray(pos, headEnd + 2).toString("latin1");
        expect(head).toMatch(new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*Content-Length: ${n}\\r\\n`));
        const body = received.subarray(headEnd + 4, headEnd + 4 + n);
        expect(body.equals(files[`f${n}.bin`] as Buffer), `body of f${n}.bin`).toBe(true);
        pos = headEnd + 4 + n;
      }
      expect(pos).toBe(received.length);
    } finally {
      await server.stop();
      site.cleanup();
    }
    function expectedLength(order: number[]): number {
      return order.reduce((sum, n) => sum + n, 0);
    }
  });
});

describe("get: Server-Timing", () => {
  it("with timing on, every cached hit carries its own Server-Timing", async () => {
    const site = makeSite({ "a.txt": "a\n" });
    const server = await startServer({ root: site.root, timing: true, plugins: [[get, {}]] });
    try {
      for (let i = 0; i < 3; i++) {
        const a = await raw(server.port, "/a.txt");
        expect(a.status).toBe(200);
        expect(a.body.toString()).toBe("a\n");
        expect(a.headers["server-timing"]).toMatch(/get/);
      }
    } finally {
      await server.stop();
      site.cleanup();
    }
  });
});

describe("get: special files", () => {
  it("404 for a FIFO (never opened: it would block)", async () => {
    const site = makeSite({ "ok.txt": "ok\n" });
    execFileSync("mkfifo", [site.file("pipe.txt")]);
    const server = await serveSite(site);
    try {
      expect((await raw(server.port, "/pipe.txt")).status).toBe(404);
      expect((await raw(server.port, "/ok.txt")).status).toBe(200);
    } finally {
      await server.stop();
      site.cleanup();
    }
  });
});
