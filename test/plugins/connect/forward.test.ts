// Absolute-form requests (`curl -x`): served as usual when they name this server, 403 for other
// hosts, or forwarded as plain HTTP with forwardHttp (hop-by-hop fields removed, Via added).
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import connect from "../../../plugins/connect/index.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";
import { curl, deadPort, httpOrigin, tempDir, type SeenRequest } from "./helpers.ts";

/** The local site: GET/POST/PROPFIND answer "local METHOD PATH". */
const site = definePlugin({
  name: "site",
  apply(server) {
    for (const method of ["GET", "POST", "PROPFIND"]) {
      server.hooks.handle.for(method).tap("site", (request) => text(`local ${request.method} ${request.path}\n`));
    }
  },
});

let origin: Awaited<ReturnType<typeof httpOrigin>>;
const tmp = tempDir();
const started: TestServer[] = [];

async function proxy(options: Record<string, unknown>): Promise<TestServer> {
  const s = await startServer({ plugins: [[connect, options], site] });
  started.push(s);
  return s;
}

/** curl through the proxy: -D - puts the response head first. */
async function viaProxy(s: TestServer, url: string, args: string[] = []): Promise<{ status: number; head: string; body: string }> {
  const r = await curl(["-D", "-", "-x", s.url, ...args, url]);
  const split = r.stdout.indexOf("\r\n\r\n");
  const head = r.stdout.slice(0, split);
  return { status: Number(/^HTTP\/\S+ (\d{3})/.exec(head)?.[1]), head, body: r.stdout.slice(split + 4) };
}

function fields(seen: SeenRequest | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const raw = seen?.rawHeaders ?? [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    out.set(name, [...(out.get(name) ?? []), raw[i + 1] as string]);
  }
  return out;
}

beforeAll(async () => {
  origin = await httpOrigin();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await origin?.close();
  tmp.remove();
});

describe("connect: absolute-form naming this server", () => {
  it("is served as an ordinary request (curl -x to the server itself, by address and as localhost)", async () => {
    for (const options of [{}, { forwardHttp: true, allow: ["*:*"], allowAddresses: ["127.0.0.0/8"] }]) {
      const s = await proxy(options);
      const seenBefore = origin.seen.length;
      expect(await viaProxy(s, `http://127.0.0.1:${s.port}/a/../page?q=1`)).toMatchObject({ status: 200, body: "local GET /page\n" });
      expect(await viaProxy(s, `http://localhost:${s.port}/x`)).toMatchObject({ status: 200, body: "local GET /x\n" });
      expect(origin.seen.length).toBe(seenBefore);
    }
  });

  it("is served as usual for a name listed in serverNames", async () => {
    const s = await proxy({ serverNames: ["www.site.test"] });
    const got = await rawExchange(s.port, `GET http://WWW.site.test:${s.port}/named HTTP/1.1\r\nHost: www.site.test\r\nConnection: close\r\n\r\n`);
    expect(got.toString("latin1")).toMatch(/^HTTP\/1\.1 200 [\s\S]*local GET \/named\n$/);
  });
});

describe("connect: absolute-form for other hosts, forwarding off (the default)", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await proxy({ allow: ["*:*"], allowAddresses: ["127.0.0.1/32"] });
  });

  it("answers 403 and never reaches the target", async () => {
    const before = origin.seen.length;
    expect((await viaProxy(s, `http://127.0.0.1:${origin.port}/x`)).status).toBe(403);
    expect(origin.seen.length).toBe(before);
  });

  it("answers 403 for a method no plugin would forward, rather than letting a local handler answer it", async () => {
    const got = await rawExchange(s.port, `PROPFIND http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(statuses(got)).toEqual([403]);
  });
});

describe("connect: forwardHttp", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await proxy({ forwardHttp: true, allow: [`127.0.0.1:${origin.port}`, "*:80"], allowAddresses: ["127.0.0.1/32"] });
  });

  it("forwards curl -x requests: hop-by-hop fields removed both ways, Host from the URL, Via added", async () => {
    const got = await viaProxy(s, `http://127.0.0.1:${origin.port}/path/%7Euser?x=1&y=%20`, [
      "-H", "Connection: X-Hop-Secret, keep-alive",
      "-H", "X-Hop-Secret: drop me",
      "-H", "Keep-Alive: timeout=9",
      "-H", "TE: trailers",
      "-H", "Upgrade: websocket",
      "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==",
      "-H", "Proxy-Connection: keep-alive",
      "-H", "Via: 1.0 earlier",
      "-H", "X-End-To-End: kept",
      "-H", "Authorization: Basic a2VwdDp0b28=",
    ]);
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toEqual({ method: "GET", url: "/path/%7Euser?x=1&y=%20", bytes: 0 });
    const seen = fields(origin.seen.at(-1));
    for (const name of ["x-hop-secret", "keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection", "transfer-encoding", "trailer"]) {
      expect(seen.has(name), name).toBe(false);
    }
    expect(seen.get("host")).toEqual([`127.0.0.1:${origin.port}`]);
    expect(seen.get("via")).toEqual(["1.0 earlier, 1.1 plugd"]);
    expect(seen.get("x-end-to-end")).toEqual(["kept"]);
    expect(seen.get("authorization")).toEqual(["Basic a2VwdDp0b28="]);
    // The response: the origin's Connection-named field, Keep-Alive and Proxy-Authenticate are gone.
    expect(got.head).toMatch(/\r\nx-origin: yes/i);
    expect(got.head).toMatch(/\r\nvia: 1\.1 plugd/i);
    expect(got.head).toMatch(/\r\nset-cookie: a=1\r\nset-cookie: b=2/i);
    expect(got.head).not.toMatch(/x-secret-hop|keep-alive|proxy-authenticate/i);
  });

  it("streams a request body to the target (1 MiB, Content-Length and chunked) and the answer back", async () => {
    const data = randomBytes(1 << 20);
    const file = join(tmp.dir, "body.bin");
    writeFileSync(file, data);
    const sized = await viaProxy(s, `http://127.0.0.1:${origin.port}/upload`, ["--data-binary", `@${file}`]);
    expect(JSON.parse(sized.body)).toEqual({ method: "POST", url: "/upload", bytes: data.length });
    expect(createHash("sha256").update(origin.seen.at(-1)?.body ?? Buffer.alloc(0)).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    const chunked = await viaProxy(s, `http://127.0.0.1:${origin.port}/chunked`, ["-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`]);
    expect(JSON.parse(chunked.body)).toEqual({ method: "POST", url: "/chunked", bytes: data.length });
    expect(origin.seen.at(-1)?.body.equals(data)).toBe(true);
  });

  it("forwards HEAD, keeping the target's Content-Length and sending no body", async () => {
    const got = await rawExchange(s.port, `HEAD http://127.0.0.1:${origin.port}/head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const [head = "", body] = got.toString("latin1").split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const length = Buffer.byteLength(JSON.stringify({ method: "HEAD", url: "/head", bytes: 0 }));
    expect(head).toMatch(new RegExp(`\r\nContent-Length: ${length}\r\n`, "i"));
    expect(body).toBe("");
    expect(origin.seen.at(-1)?.method).toBe("HEAD");
  });

  it("answers OPTIONS with Max-Forwards: 0 itself (RFC 9110 §7.6.2) and decrements it otherwise", async () => {
    const before = origin.seen.length;
    const zero = await viaProxy(s, `http://127.0.0.1:${origin.port}/`, ["-X", "OPTIONS", "-H", "Max-Forwards: 0"]);
    expect(zero.status).toBe(200);
    expect(zero.head).toMatch(/\r\nallow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH/i);
    expect(origin.seen.length).toBe(before);
    await viaProxy(s, `http://127.0.0.1:${origin.port}/`, ["-X", "OPTIONS", "-H", "Max-Forwards: 3"]);
    expect(fields(origin.seen.at(-1)).get("max-forwards")).toEqual(["2"]);
  });

  it("applies the same rules as CONNECT: refused addresses and ports 403, https:// and TRACE 403", async () => {
    expect((await viaProxy(s, "http://169.254.169.254/latest/meta-data/")).status).toBe(403);
    expect((await viaProxy(s, "http://127.0.0.2:80/")).status).toBe(403);
    expect((await viaProxy(s, "http://[::1]/")).status).toBe(403);
    expect((await viaProxy(s, `http://127.0.0.1:${origin.port + 1}/`)).status).toBe(403);
    const https = await rawExchange(s.port, `GET https://127.0.0.1:${origin.port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(statuses(https)).toEqual([403]);
    const before = origin.seen.length;
    const trace = await rawExchange(s.port, `TRACE http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(statuses(trace)).toEqual([403]);
    expect(origin.seen.length).toBe(before);
  });

  it("answers 502 when the target refuses the connection", async () => {
    const port = await deadPort();
    const s2 = await proxy({ forwardHttp: true, allow: [`127.0.0.1:${port}`], allowAddresses: ["127.0.0.1/32"] });
    expect((await viaProxy(s2, `http://127.0.0.1:${port}/`)).status).toBe(502);
  });
});
