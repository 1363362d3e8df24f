// The environment builder's cases no plain-HTTP test over 127.0.0.1 reaches: TLS (HTTPS=on),
// IPv6 hosts, absolute-form targets, non-ASCII paths as UTF-8 bytes, and fields the server
// represents itself. (The rest is checked through real php-cgi in behaviour.test.ts.)
import { describe, expect, it } from "vitest";
import { HeaderFields, type RequestHead } from "../../../core/http/head.ts";
import { Request, type ConnectionInfo } from "../../../core/http/request.ts";
import { createServer } from "../../../core/server.ts";
import { buildEnvironment, processEnvironment, serverName } from "../../../plugins/php-cgi/environment.ts";
import { decodeNameValuePairs, encodeRequestStart, RECORD, RecordDecoder, type FcgiRecord } from "../../../plugins/php-cgi/fastcgi/records.ts";

function request(overrides: Partial<RequestHead>, connection: Partial<ConnectionInfo> = {}, flat: string[] = ["host", "example.test"]): Request {
  const head: RequestHead = {
    method: "GET",
    target: "/a.php",
    targetForm: "origin",
    version: "1.1",
    headers: new HeaderFields(flat),
    rawPath: "/a.php",
    query: "",
    authority: "example.test",
    bodyKind: "none",
    contentLength: 0,
    keepAlive: true,
    expectContinue: false,
    raw: Buffer.alloc(0),
    ...overrides,
  };
  const info: ConnectionInfo = { remoteAddress: "192.0.2.7", remotePort: 40000, localAddress: "192.0.2.1", localPort: 443, encrypted: false, ...connection };
  return new Request(head, head.rawPath, createServer({ root: "/srv/www" }).config, info, undefined);
}

const target = { scriptName: "/a.php", filename: "/srv/www/a.php", pathInfo: "" };
const settings = { documentRoot: "/srv/www", passAuthorization: false, contentLength: undefined };

describe("php-cgi environment", () => {
  it("under TLS: HTTPS=on and REQUEST_SCHEME=https (request.connection.encrypted)", () => {
    const env = buildEnvironment(request({}, { encrypted: true }), target, settings);
    expect(env.get("HTTPS")).toBe("on");
    expect(env.get("REQUEST_SCHEME")).toBe("https");
    expect(env.get("SERVER_PORT")).toBe("443");
    expect(buildEnvironment(request({}), target, settings).has("HTTPS")).toBe(false);
  });

  it("SERVER_NAME is the host the client addressed, without its port", () => {
    expect(serverName("Example.TEST:8080", "x")).toBe("example.test");
    expect(serverName("[::1]:8080", "x")).toBe("[::1]");
    expect(serverName("[::1]", "x")).toBe("[::1]");
    expect(serverName("", "192.0.2.1")).toBe("192.0.2.1");
  });

  it("REQUEST_URI of an absolute-form target is its path and query", () => {
    const env = buildEnvironment(request({ target: "http://example.test/a.php?x=1", targetForm: "absolute", rawPath: "/a.php", query: "x=1" }), target, settings);
    expect(env.get("REQUEST_URI")).toBe("/a.php?x=1");
    expect(env.get("QUERY_STRING")).toBe("x=1");
  });

  it("non-ASCII paths are passed as their UTF-8 bytes; a spawned php-cgi gets the same text", () => {
    const env = buildEnvironment(request({}), { scriptName: "/été.php", filename: "/srv/www/été.php", pathInfo: "/ü" }, settings);
    expect(env.get("SCRIPT_NAME")).toBe(Buffer.from("/été.php").toString("latin1"));
    expect(env.get("PATH_INFO")).toBe(Buffer.from("/ü").toString("latin1"));
    expect(env.get("PATH_TRANSLATED")).toBe(Buffer.from("/srv/www/ü").toString("latin1"));
    const spawned = processEnvironment(env, { PATH: "/bin" });
    expect(spawned.SCRIPT_NAME).toBe("/été.php");
    expect(spawned.PATH).toBe("/bin");
  });

  it("no client field becomes a variable the server sets, nor a credential", () => {
    const flat = ["host", "h", "content-length", "5", "transfer-encoding", "chunked", "proxy-authorization", "Basic x", "authorization", "Basic y", "cookie", "a=1", "cookie", "b=2", "gateway-interface", "CGI/9", "x.dot", "1"];
    const env = buildEnvironment(request({}, {}, flat), target, { ...settings, contentLength: 7 });
    expect(env.get("CONTENT_LENGTH")).toBe("7");
    for (const name of ["HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING", "HTTP_PROXY_AUTHORIZATION", "HTTP_AUTHORIZATION", "HTTP_X.DOT"]) expect(env.has(name), name).toBe(false);
    expect(env.get("GATEWAY_INTERFACE")).toBe("CGI/1.1");
    expect(env.get("HTTP_GATEWAY_INTERFACE")).toBe("CGI/9");
    expect(env.get("HTTP_COOKIE")).toBe("a=1; b=2");
    expect(buildEnvironment(request({}, {}, flat), target, { ...settings, passAuthorization: true }).get("HTTP_AUTHORIZATION")).toBe("Basic y");
  });

  it("AUTH_TYPE and REMOTE_USER from request.user", () => {
    const r = request({});
    r.user = { name: "zoë", authType: "Basic" };
    const env = buildEnvironment(r, target, settings);
    expect(env.get("AUTH_TYPE")).toBe("Basic");
    expect(env.get("REMOTE_USER")).toBe(Buffer.from("zoë").toString("latin1"));
  });

  it("an environment over 64 KiB goes out as several PARAMS records", () => {
    const big = "c".repeat(100_000);
    const env = buildEnvironment(request({}, {}, ["host", "h", "cookie", big]), target, settings);
    const records: FcgiRecord[] = [];
    const decoder = new RecordDecoder((r) => records.push({ ...r, content: Buffer.from(r.content) }));
    decoder.push(encodeRequestStart(1, env, true, true));
    const params = records.filter((r) => r.type === RECORD.PARAMS);
    expect(params.map((r) => r.content.length)).toEqual([65535, expect.any(Number), 0]);
    const pairs = decodeNameValuePairs(Buffer.concat(params.map((r) => r.content)));
    expect(new Map(pairs)).toEqual(env);
  });
});
