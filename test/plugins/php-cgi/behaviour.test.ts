// The PHP gateway's behaviour table, run the same in all three modes (cgi, fastcgi with
// plugd's own php-cgi -b pool, fastcgi to a php-fpm the test starts): real php-cgi and
// php-fpm, real curl, the scripts of test/fixtures/php.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, json, makeSite, MODE_NAMES, modeOptions, phpServer, startFpm, type Fpm, type Site } from "./helpers.ts";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

describe.each(MODE_NAMES)("php-cgi (%s)", (mode) => {
  let site: Site;
  let fpm: Fpm | undefined;
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    site = makeSite();
    writeFileSync(path.join(site.root, ".hidden.php"), "<?php echo 'HIDDEN-RAN';");
    if (mode === "fastcgi-php-fpm") fpm = await startFpm(path.join(site.base, "fpm"));
    server = await phpServer(site, { ...modeOptions(mode, fpm), timeoutMs: 10_000 });
    url = server.url;
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await fpm?.stop();
    site?.cleanup();
  });

  it("GET with a query: $_GET, QUERY_STRING as sent", async () => {
    const a = await curl([`${url}/form.php?a=1&b=two%20words&c[]=x&c[]=y`]);
    expect(a.status).toBe(200);
    const body = json(a);
    expect(body.method).toBe("GET");
    expect(body.get).toEqual({ a: "1", b: "two words", c: ["x", "y"] });
    expect(body.query).toBe("a=1&b=two%20words&c[]=x&c[]=y");
    expect(body.contentLength).toBeNull();
  });

  it("POST urlencoded: $_POST and CONTENT_LENGTH", async () => {
    const a = await curl(["--data", "x=1&name=%C3%A9t%C3%A9&empty=", `${url}/form.php?q=2`]);
    expect(a.status).toBe(200);
    const body = json(a);
    expect(body.method).toBe("POST");
    expect(body.post).toEqual({ x: "1", name: "été", empty: "" });
    expect(body.get).toEqual({ q: "2" });
    expect(body.contentLength).toBe(String(Buffer.byteLength("x=1&name=%C3%A9t%C3%A9&empty=")));
  });

  it("multipart upload: $_FILES with the right size and content", async () => {
    const data = randomBytes(300 * 1024 + 17);
    const file = site.scratchFile("upload.bin");
    writeFileSync(file, data);
    const a = await curl(["-F", `doc=@${file};filename=report.bin`, "-F", "note=hello", `${url}/upload.php`]);
    expect(a.status).toBe(200);
    const body = json<{ files: Record<string, { name: string; size: number; error: number; sha256: string }>; post: Record<string, string> }>(a);
    expect(body.post).toEqual({ note: "hello" });
    expect(body.files.doc).toEqual({ name: "report.bin", size: data.length, error: 0, sha256: sha256(data) });
  });

  it("a Content-Length body larger than any buffer is streamed to the script whole", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const file = site.scratchFile("big-body.bin");
    writeFileSync(file, data);
    const a = await curl(["-H", "Content-Type: application/octet-stream", "--data-binary", `@${file}`, `${url}/input.php`]);
    expect(a.status).toBe(200);
    expect(json(a)).toEqual({ length: data.length, sha256: sha256(data), contentLength: String(data.length) });
  });

  it.each([
    ["small (kept in memory)", 1000],
    ["over 1 MiB (spooled to a file)", 2 * 1024 * 1024 + 3],
  ])("a chunked body, %s, is de-chunked and given a CONTENT_LENGTH", async (_what, size) => {
    const data = randomBytes(size);
    const file = site.scratchFile("chunked.bin");
    writeFileSync(file, data);
    const a = await curl(["-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/octet-stream", "--data-binary", `@${file}`, `${url}/input.php`]);
    expect(a.status).toBe(200);
    expect(json(a)).toEqual({ length: size, sha256: sha256(data), contentLength: String(size) });
  });

  it("cookies and a session across requests (curl's cookie jar)", async () => {
    const jar = site.scratchFile("jar.txt");
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await curl(["-c", jar, "-b", jar, `${url}/session.php`]);
      expect(a.status).toBe(200);
      counts.push(a.body.toString().trim());
    }
    expect(counts).toEqual(["count=1", "count=2", "count=3"]);
    // Two Set-Cookie fields stay two fields (RFC 6265 §3: never folded into one).
    const c = await curl(["-b", "sent=yes", `${url}/cookies.php`]);
    expect(c.all["set-cookie"]).toEqual(["first=one", "second=two"]);
    expect(json(c)).toEqual({ sent: "yes" });
  });

  it("header() fields reach the client", async () => {
    const a = await curl([`${url}/headers.php`]);
    expect(a.status).toBe(200);
    expect(a.headers["x-custom"]).toBe("yes");
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(a.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(a.body.toString()).toBe("with headers\n");
  });

  it("http_response_code(404) and a Status: header set the status", async () => {
    const a = await curl([`${url}/not-found.php`]);
    expect(a.status).toBe(404);
    expect(a.body.toString()).toBe("no such thing\n");
    const b = await curl([`${url}/status-header.php`]);
    expect(b.status).toBe(418);
    expect(b.body.toString()).toBe("short and stout\n");
  });

  it("a local Location with status 200 and no body is followed inside the server, as a GET", async () => {
    const a = await curl(["--data", "ignored=1", `${url}/redirect-local.php?first=1`]);
    expect(a.status).toBe(200);
    expect(a.headers.location).toBeUndefined();
    const env = json(a);
    expect(env.SCRIPT_NAME).toBe("/env.php");
    expect(env.REQUEST_METHOD).toBe("GET");
    expect(env.QUERY_STRING).toBe("via=local");
    expect(env.REQUEST_URI).toBe("/env.php?via=local");
    expect(env.REDIRECT_URL).toBe("/redirect-local.php");
    expect(env.REDIRECT_QUERY_STRING).toBe("first=1");
    expect(env.CONTENT_LENGTH).toBeUndefined();
  });

  it("a local redirect reaches any handler (a static file through get)", async () => {
    const a = await curl([`${url}/redirect-static.php`]);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("static file\n");
  });

  it("internal redirects stop after 10: 500", async () => {
    const a = await curl([`${url}/redirect-loop.php`]);
    expect(a.status).toBe(500);
  });

  it("PHP's Location (with its own Status: 302) goes to the client, local path or not", async () => {
    const a = await curl([`${url}/redirect-found.php`]);
    expect(a.status).toBe(302);
    expect(a.headers.location).toBe("/hello.php");
    const b = await curl([`${url}/redirect-absolute.php`]);
    expect(b.status).toBe(302);
    expect(b.headers.location).toBe("http://example.com/elsewhere");
    const c = await curl([`${url}/redirect-absolute-301.php`]);
    expect(c.status).toBe(301);
    expect(c.headers.location).toBe("http://example.com/moved");
  });

  it("a fatal error is PHP's 500", async () => {
    const a = await curl([`${url}/fatal.php`]);
    expect(a.status).toBe(500);
  });

  it.each(["-s", "-s+%3d", "%2ds", "-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input", "-h"])(
    "?%s runs the script and never shows its source (CVE-2012-1823, CVE-2024-4577)",
    async (query) => {
      const a = await curl([`${url}/source.php?${query}`]);
      expect(a.status).toBe(200);
      expect(a.body.toString()).toBe("ran\n");
      expect(a.body.toString()).not.toContain("SOURCE-MARKER");
    },
  );

  it("the environment has RFC 3875's variables and what PHP needs", async () => {
    const a = await curl(["-H", "Host: www.example.test:8080", `${url}/env.php`]);
    const env = json<Record<string, string>>(a);
    const port = String(server.port);
    expect(env).toMatchObject({
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_PROTOCOL: "HTTP/1.1",
      SERVER_SOFTWARE: "plugd",
      SERVER_NAME: "www.example.test",
      SERVER_PORT: port,
      SERVER_ADDR: "127.0.0.1",
      REMOTE_ADDR: "127.0.0.1",
      REMOTE_HOST: "127.0.0.1",
      REQUEST_METHOD: "GET",
      REQUEST_URI: "/env.php",
      QUERY_STRING: "",
      SCRIPT_NAME: "/env.php",
      SCRIPT_FILENAME: path.join(site.root, "env.php"),
      DOCUMENT_ROOT: site.root,
      REDIRECT_STATUS: "200",
      REQUEST_SCHEME: "http",
      HTTP_HOST: "www.example.test:8080",
    });
    expect(Number(env.REMOTE_PORT)).toBeGreaterThan(0);
    for (const unset of ["PATH_INFO", "PATH_TRANSLATED", "CONTENT_LENGTH", "CONTENT_TYPE", "AUTH_TYPE", "REMOTE_USER", "HTTPS"]) {
      expect(env[unset], unset).toBeUndefined();
    }
  });

  it("client headers: HTTP_*, repeats joined, and never a variable the server sets", async () => {
    const a = await curl([
      "-H", "Proxy: http://evil.example:3128",
      "-H", "Redirect-Status: 404",
      "-H", "X_Underscore: sneaky",
      "-H", "X-Dashed: fine",
      "-H", "X-Multi: a",
      "-H", "X-Multi: b",
      "-H", "Authorization: Basic dXNlcjpwYXNz",
      "-H", "Content-Type: text/x-mine",
      `${url}/env.php`,
    ]);
    const env = json<Record<string, string>>(a);
    // httpoxy (CVE-2016-5385).
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(env.REDIRECT_STATUS).toBe("200");
    expect(env.HTTP_REDIRECT_STATUS).toBe("404");
    // "X_Underscore" would pose as X-Underscore.
    expect(env.HTTP_X_UNDERSCORE).toBeUndefined();
    expect(env.HTTP_X_DASHED).toBe("fine");
    expect(env.HTTP_X_MULTI).toBe("a, b");
    expect(env.HTTP_AUTHORIZATION).toBeUndefined();
    expect(env.PHP_AUTH_USER).toBeUndefined();
    expect(env.CONTENT_TYPE).toBe("text/x-mine");
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
  });

  it("PATH_INFO is what follows an existing script", async () => {
    const a = await curl([`${url}/pathinfo.php/x/y%20z`]);
    expect(a.status).toBe(200);
    expect(json(a)).toEqual({
      SCRIPT_NAME: "/pathinfo.php",
      PATH_INFO: "/x/y z",
      PATH_TRANSLATED: path.join(site.root, "x/y z"),
      PHP_SELF: "/pathinfo.php/x/y z",
      SCRIPT_FILENAME: path.join(site.root, "pathinfo.php"),
    });
  });

  it("an image with PHP inside is never run: /upload/img.jpg/x.php is 404 (CVE-2019-11043 class)", async () => {
    const a = await curl([`${url}/upload/img.jpg/x.php`]);
    expect(a.status).toBe(404);
    expect(a.body.toString()).not.toContain("EXECUTED-IMAGE");
    const b = await curl([`${url}/upload/img.jpg/x.php/more`]);
    expect(b.status).toBe(404);
    // The image itself is a static file.
    const c = await curl([`${url}/upload/img.jpg`]);
    expect(c.status).toBe(200);
    expect(c.body.toString()).toContain("<?php");
  });

  it("folders: index.php runs, index.html wins over it, a folder named like a script is a folder", async () => {
    const a = await curl([`${url}/app/`]);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("app index.php at /app/index.php\n");
    const b = await curl([`${url}/both/`]);
    expect(b.body.toString()).toBe("<p>both: index.html</p>\n");
    const c = await curl([`${url}/dir.php/inside.php`]);
    expect(c.body.toString()).toBe("inside a folder named dir.php\n");
  });

  it("a missing script, a dotfile script: 404, and never their source", async () => {
    const a = await curl([`${url}/nope.php`]);
    expect(a.status).toBe(404);
    const b = await curl([`${url}/.hidden.php`]);
    expect(b.status).toBe(404);
    expect(b.body.toString()).not.toContain("HIDDEN");
  });

  it("HEAD runs the script and sends no body", async () => {
    const a = await curl(["-I", `${url}/head.php`]);
    expect(a.status).toBe(200);
    expect(a.headers["x-method"]).toBe("HEAD");
    expect(a.body.length).toBe(0);
    const g = await curl([`${url}/head.php`]);
    expect(g.headers["x-method"]).toBe("GET");
    expect(g.body.toString()).toBe("body of a GET\n");
  });

  it("a small finished output goes out with Content-Length; other files are left to get", async () => {
    const a = await curl([`${url}/hello.php`]);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("hello world\n");
    const s = await curl([`${url}/static.txt`]);
    expect(s.body.toString()).toBe("static file\n");
    expect(s.headers.etag).toBeDefined();
  });
});
