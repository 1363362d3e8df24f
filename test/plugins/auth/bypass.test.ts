// Attempts to reach a protected path without credentials, over a raw socket: encodings, dot
// segments, doubled slashes, case, dotfiles, HEAD, absolute-form, lower-case methods, pipelining.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawExchange, statuses } from "../../helpers/server.ts";
import { authServer, basic, htpasswd, tempDir } from "./helpers.ts";

describe("auth: bypass attempts over a raw socket", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-s", "ann", "pw", true);
    s = await authServer({ users: file, protect: ["/private/**", "/café/**", { path: "/uploads/**", methods: ["GET"] }] });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  const send = (requestLine: string, headers = ""): Promise<Buffer> =>
    rawExchange(s.port, `${requestLine}\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`);

  it.each([
    ["GET /private/x HTTP/1.1", 401],
    ["GET /private HTTP/1.1", 401],
    ["GET /private/ HTTP/1.1", 401],
    ["GET //private/x HTTP/1.1", 401],
    ["GET ///private///x HTTP/1.1", 401],
    ["GET /./private/x HTTP/1.1", 401],
    ["GET /private/./x HTTP/1.1", 401],
    ["GET /public/../private/x HTTP/1.1", 401],
    ["GET /%70rivate/x HTTP/1.1", 401],
    ["GET /priv%61te/x HTTP/1.1", 401],
    ["GET /%2e/private/x HTTP/1.1", 401],
    ["GET /public/%2e%2e/private/x HTTP/1.1", 401],
    ["GET /PRIVATE/x HTTP/1.1", 401],
    ["GET /Private/X HTTP/1.1", 401],
    ["GET /pRiVaTe HTTP/1.1", 401],
    ["GET /private/.htaccess HTTP/1.1", 401],
    ["GET /private/.git/config HTTP/1.1", 401],
    ["GET /private/x?user=admin HTTP/1.1", 401],
    ["HEAD /private/x HTTP/1.1", 401],
    ["HEAD /uploads/x HTTP/1.1", 401],
    ["get /private/x HTTP/1.1", 401],
    ["PROPFIND /private/x HTTP/1.1", 401],
    ["GET /caf%C3%A9/menu HTTP/1.1", 401],
    ["GET /cafe%CC%81/menu HTTP/1.1", 401],
    ["GET /CAF%C3%89/menu HTTP/1.1", 401],
    ["GET /private/x HTTP/1.0", 401],
    // The core refuses these before any plugin sees them.
    ["GET /private%2Fx HTTP/1.1", 400],
    ["GET /private%2fx HTTP/1.1", 400],
    ["GET /private%5Cx HTTP/1.1", 400],
    ["GET /private\\x HTTP/1.1", 400],
    ["GET /private/x%00.txt HTTP/1.1", 400],
    ["GET /../private/x HTTP/1.1", 400],
    // Open paths stay open (the table above must not pass by refusing everything).
    ["GET /public/x HTTP/1.1", 200],
    ["GET /privatex HTTP/1.1", 200],
    ["GET /uploads/x HTTP/1.1", 401],
    ["DELETE /uploads/x HTTP/1.1", 200],
  ])("%s -> %i", async (line, status) => {
    const got = await send(line);
    expect(statuses(got)).toEqual([status]);
    if (status === 401) expect(got.toString("latin1")).toMatch(/\r\nwww-authenticate: Basic realm="restricted", charset="UTF-8"\r\n/i);
  });

  it("absolute-form naming this server is matched on its path", async () => {
    const got = await send(`GET http://127.0.0.1:${s.port}//private/x HTTP/1.1`);
    expect(statuses(got)).toEqual([401]);
  });

  it("with credentials, the normalized path reaches the handler", async () => {
    const got = (await send("GET //private/./x HTTP/1.1", `Authorization: ${basic("ann", "pw")}\r\n`)).toString("latin1");
    expect(statuses(Buffer.from(got, "latin1"))).toEqual([200]);
    expect(got).toMatch(/\r\n\r\nGET \/private\/x ann Basic\n$/);
  });

  it("a pipelined protected request after an open one is still challenged", async () => {
    const got = await rawExchange(s.port, "GET /public/a HTTP/1.1\r\nHost: x\r\n\r\nGET /private/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(statuses(got)).toEqual([200, 401]);
  });

  it.each([
    ["two Authorization fields, the first good", `Authorization: ${basic("ann", "pw")}\r\nAuthorization: ${basic("ann", "bad")}\r\n`],
    ["another scheme", `Authorization: Bearer ${Buffer.from("ann:pw").toString("base64")}\r\n`],
    ["no colon", `Authorization: Basic ${Buffer.from("annpw").toString("base64")}\r\n`],
    ["not base64", "Authorization: Basic ann:pw\r\n"],
    ["a control character in the password", `Authorization: ${basic("ann", "pw\u0000")}\r\n`],
    ["credentials in Proxy-Authorization instead", `Proxy-Authorization: ${basic("ann", "pw")}\r\n`],
  ])("unusable credentials (%s): 401", async (_why, headers) => {
    expect(statuses(await send("GET /private/x HTTP/1.1", headers))).toEqual([401]);
  });

  it("the scheme name is case-insensitive (RFC 9110 §11.1)", async () => {
    const token = Buffer.from("ann:pw").toString("base64");
    expect(statuses(await send("GET /private/x HTTP/1.1", `Authorization: bAsIc ${token}\r\n`))).toEqual([200]);
  });
});
