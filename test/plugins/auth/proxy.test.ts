// Proxy credentials (RFC 9110 §11.7) for CONNECT and absolute-form requests to other hosts:
// 407 with Proxy-Authenticate, the same users and verifier as WWW credentials.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange, statuses } from "../../helpers/server.ts";
import { authServer, basic, curl, htpasswd, tempDir } from "./helpers.ts";

const headEnd = (b: Buffer): boolean => b.includes("\r\n\r\n");

describe("auth: proxy credentials", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-B", "pat", "proxy-pw", true);
    await htpasswd(file, "-s", "sue", "sue-pw");
    await htpasswd(file, "-m", "web", "web-pw");
    s = await authServer({ users: file, protect: ["/private/**"], proxy: { realm: "Proxy", users: ["pat", "sue"] } }, { connect: true });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  const connect = (headers = ""): Promise<Buffer> => rawExchange(s.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n${headers}\r\n`, headEnd);

  it("CONNECT without Proxy-Authorization: 407 with a Basic Proxy-Authenticate", async () => {
    const got = (await connect()).toString("latin1");
    expect(got).toMatch(/^HTTP\/1\.1 407 /);
    expect(got).toMatch(/\r\nproxy-authenticate: Basic realm="Proxy", charset="UTF-8"\r\n/i);
    expect(got).not.toMatch(/\r\nwww-authenticate:/i);
  });

  it.each([
    ["a wrong password", basic("pat", "nope")],
    ["an unknown user", basic("zed", "proxy-pw")],
    ["not Basic", "Digest username=pat"],
  ])("CONNECT with %s: 407", async (_why, value) => {
    expect(statuses(await connect(`Proxy-Authorization: ${value}\r\n`))).toEqual([407]);
  });

  it("CONNECT with WWW credentials only (Authorization): 407", async () => {
    expect(statuses(await connect(`Authorization: ${basic("pat", "proxy-pw")}\r\n`))).toEqual([407]);
  });

  it("CONNECT with good proxy credentials (bcrypt and {SHA}): 200, and the handler sees the user", async () => {
    const got = (await connect(`Proxy-Authorization: ${basic("pat", "proxy-pw")}\r\n`)).toString("latin1");
    expect(got).toMatch(/^HTTP\/1\.1 200 /);
    const sue = await rawExchange(s.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: ${basic("sue", "sue-pw")}\r\n\r\n`, (b) => b.includes("sue\n"));
    expect(sue.toString("latin1")).toContain("CONNECT example.com:443 sue\n");
  });

  it("CONNECT by a valid user not allowed to use the proxy: 403", async () => {
    expect(statuses(await connect(`Proxy-Authorization: ${basic("web", "web-pw")}\r\n`))).toEqual([403]);
  });

  it("absolute-form to another host needs proxy credentials (curl -x / --proxy-user)", async () => {
    const none = await curl("http://example.invalid/page", { args: ["-x", s.url] });
    expect(none.status).toBe(407);
    expect(none.headers).toMatch(/proxy-authenticate: Basic realm="Proxy", charset="UTF-8"/i);
    const ok = await curl("http://example.invalid/page", { args: ["-x", s.url, "--proxy-user", "pat:proxy-pw"] });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("GET /page pat Basic\n");
  });

  it("absolute-form naming this server is an ordinary request: WWW rules, no proxy credentials", async () => {
    const open = await rawExchange(s.port, `GET http://127.0.0.1:${s.port}/public HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`);
    expect(statuses(open)).toEqual([200]);
    const closed = await rawExchange(s.port, `GET http://localhost:${s.port}/private/a HTTP/1.1\r\nHost: localhost:${s.port}\r\nConnection: close\r\n\r\n`);
    expect(statuses(closed)).toEqual([401]);
  });
});

describe("auth: proxy off", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-s", "sue", "sue-pw", true);
    s = await authServer({ users: file, protect: ["/private/**"] }, { connect: true });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it("CONNECT is not challenged when proxy is false (the default)", async () => {
    const got = await rawExchange(s.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", headEnd);
    expect(statuses(got)).toEqual([200]);
  });

  it("proxy: true uses the top-level realm and any user", async () => {
    const t = await authServer({ users: join(tmp.dir, "users.htpasswd"), realm: "Everywhere", protect: [], proxy: true }, { connect: true });
    try {
      const none = (await rawExchange(t.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", headEnd)).toString("latin1");
      expect(none).toMatch(/\r\nproxy-authenticate: Basic realm="Everywhere", charset="UTF-8"\r\n/i);
      const ok = await rawExchange(t.port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: ${basic("sue", "sue-pw")}\r\n\r\n`, headEnd);
      expect(statuses(ok)).toEqual([200]);
    } finally {
      await t.stop();
    }
  });
});
