// Real clients through the proxy: curl (-p -x) and undici's ProxyAgent doing a real TLS
// handshake end to end with a local node:https server (certificate made by openssl now), and
// proxy credentials (407) from the real auth plugin with a users file made by htpasswd.
import { join } from "node:path";
import { fetch, ProxyAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import auth from "../../../plugins/auth/index.ts";
import connect from "../../../plugins/connect/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { certificate, connectStatus, curl, htpasswd, httpOrigin, recorder, tempDir, tlsServer, type Listening } from "./helpers.ts";

const tmp = tempDir();
let tls: Listening;
let origin: Awaited<ReturnType<typeof httpOrigin>>;
let cert: Awaited<ReturnType<typeof certificate>>;
const started: TestServer[] = [];

beforeAll(async () => {
  cert = await certificate(tmp.dir);
  tls = await tlsServer(cert.key, cert.cert);
  origin = await httpOrigin();
});

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await Promise.all([tls?.close(), origin?.close()]);
  tmp.remove();
});

async function proxy(plugins: Parameters<typeof startServer>[0] extends infer O ? O extends { plugins?: infer P } ? P : never : never): Promise<TestServer> {
  const s = await startServer({ plugins });
  started.push(s);
  return s;
}

describe("connect: curl and undici through the tunnel", () => {
  let s: TestServer;
  const log = recorder();
  beforeAll(async () => {
    s = await proxy([[connect, { allow: [`127.0.0.1:${tls.port}`, `127.0.0.1:${origin.port}`], allowAddresses: ["127.0.0.1/32"] }], log.plugin]);
  });

  it("curl -p -x: a real TLS handshake with the target through the tunnel (certificate verified)", async () => {
    const r = await curl(["-p", "-x", s.url, "--cacert", cert.certFile, "-w", "\n%{http_connect} %{http_code}", `https://127.0.0.1:${tls.port}/through`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("secret over TLS: /through\n\n200 200");
    const record = await log.next();
    expect(record.timing.tunnel?.target).toBe(`127.0.0.1:${tls.port}`);
    // A TLS handshake went up and down: far more than the plaintext.
    expect(record.timing.tunnel?.bytesUp).toBeGreaterThan(200);
    expect(record.timing.tunnel?.bytesDown).toBeGreaterThan(500);
  });

  it("curl -k works the same (the brief's command)", async () => {
    const r = await curl(["-p", "-x", s.url, "-k", `https://127.0.0.1:${tls.port}/`]);
    expect(r.stdout).toBe("secret over TLS: /\n");
    await log.next();
  });

  it("curl -p -x to a plain-HTTP target tunnels it with CONNECT", async () => {
    const r = await curl(["-p", "-x", s.url, `http://127.0.0.1:${origin.port}/plain`]);
    expect(JSON.parse(r.stdout)).toEqual({ method: "GET", url: "/plain", bytes: 0 });
    expect((await log.next()).info.method).toBe("CONNECT");
  });

  it("undici ProxyAgent + fetch: https through the tunnel", async () => {
    const dispatcher = new ProxyAgent({ uri: s.url, requestTls: { ca: cert.cert } });
    try {
      const res = await fetch(`https://127.0.0.1:${tls.port}/undici`, { dispatcher });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("secret over TLS: /undici\n");
    } finally {
      await dispatcher.close();
    }
    expect((await log.next()).timing.tunnel?.target).toBe(`127.0.0.1:${tls.port}`);
  });

  it("curl reports the refusal of a target that is not allowed (403 to CONNECT)", async () => {
    const r = await curl(["-p", "-x", s.url, "-w", "%{http_connect}", "-k", "https://127.0.0.1:1/"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("403");
    await log.next();
  });
});

describe("connect: proxy credentials from the auth plugin (407)", () => {
  let s: TestServer;
  beforeAll(async () => {
    const users = join(tmp.dir, "users.htpasswd");
    await htpasswd(users, "pat", "tunnel-pw", true);
    s = await proxy([
      [auth, { users, protect: [], proxy: { realm: "Proxy" } }],
      [connect, { allow: [`127.0.0.1:${tls.port}`, `127.0.0.1:${origin.port}`], allowAddresses: ["127.0.0.1/32"], forwardHttp: true }],
    ]);
  });

  it("CONNECT without Proxy-Authorization: 407 with a Basic Proxy-Authenticate challenge", async () => {
    const { status, head } = await connectStatus(s.port, `127.0.0.1:${tls.port}`);
    expect(status).toBe(407);
    expect(head).toMatch(/\r\nproxy-authenticate: Basic realm="Proxy"/i);
  });

  it("curl without --proxy-user gets 407; with it the TLS request goes through", async () => {
    const none = await curl(["-p", "-x", s.url, "--cacert", cert.certFile, "-w", "%{http_connect}", `https://127.0.0.1:${tls.port}/`]);
    expect(none.code).not.toBe(0);
    expect(none.stdout).toBe("407");
    const wrong = await curl(["-p", "-x", s.url, "--proxy-user", "pat:nope", "--cacert", cert.certFile, "-w", "%{http_connect}", `https://127.0.0.1:${tls.port}/`]);
    expect(wrong.stdout).toBe("407");
    const ok = await curl(["-p", "-x", s.url, "--proxy-user", "pat:tunnel-pw", "--cacert", cert.certFile, `https://127.0.0.1:${tls.port}/authed`]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("secret over TLS: /authed\n");
  });

  it("curl --proxy-anyauth: asks without credentials first, answers the challenge on a new connection", async () => {
    const ok = await curl(["-p", "-x", s.url, "--proxy-anyauth", "--proxy-user", "pat:tunnel-pw", "--cacert", cert.certFile, `https://127.0.0.1:${tls.port}/anyauth`]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("secret over TLS: /anyauth\n");
  });

  it("forwarded plain HTTP (curl -x) needs the same credentials, which are not passed on", async () => {
    const none = await curl(["-x", s.url, "-w", "%{http_code}", "-o", "/dev/null", `http://127.0.0.1:${origin.port}/fwd`]);
    expect(none.stdout).toBe("407");
    const ok = await curl(["-x", s.url, "--proxy-user", "pat:tunnel-pw", `http://127.0.0.1:${origin.port}/fwd`]);
    expect(JSON.parse(ok.stdout)).toEqual({ method: "GET", url: "/fwd", bytes: 0 });
    const raw = origin.seen.at(-1)?.rawHeaders ?? [];
    expect(raw.some((name, i) => i % 2 === 0 && name.toLowerCase() === "proxy-authorization")).toBe(false);
  });

  it("undici ProxyAgent with a token", async () => {
    const token = `Basic ${Buffer.from("pat:tunnel-pw").toString("base64")}`;
    const dispatcher = new ProxyAgent({ uri: s.url, token, requestTls: { ca: cert.cert } });
    try {
      const res = await fetch(`https://127.0.0.1:${tls.port}/undici-auth`, { dispatcher });
      expect(await res.text()).toBe("secret over TLS: /undici-auth\n");
    } finally {
      await dispatcher.close();
    }
  });
});
