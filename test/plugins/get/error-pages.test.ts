import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { json } from "../../../core/http/response.ts";
import get from "../../../plugins/get/index.ts";
import { rawExchange, startServer, type TestServer } from "../../helpers/server.ts";

let root: string;
let current: TestServer | undefined;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "plugd-errpages-"));
  await writeFile(path.join(root, "404.html"), "<h1>custom not found</h1>\n");
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await rm(root, { recursive: true, force: true });
});

const req = (method: string, target: string) => `${method} ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`;

describe("get errorPages", () => {
  it("serves the page with the error's status for a missing file, GET and HEAD", async () => {
    current = await startServer({ root, plugins: [[get, { errorPages: { "404": "/404.html" } }]] });
    const res = (await rawExchange(current.port, req("GET", "/missing"))).toString();
    expect(res).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(res).toMatch(/content-type: text\/html; charset=utf-8\r\n/);
    expect(res).toMatch(/\r\n\r\n<h1>custom not found<\/h1>\n$/);
    const head = (await rawExchange(current.port, req("HEAD", "/missing"))).toString();
    expect(head).toMatch(/^HTTP\/1\.1 404 /);
    expect(head).toMatch(/Content-Length: 26\r\n/);
    expect(head.endsWith("\r\n\r\n")).toBe(true);
  });

  it("leaves a plugin's own non-plain 404 alone, and other statuses", async () => {
    const api = definePlugin({
      name: "api",
      apply(server) {
        server.hooks.handle.for("GET").tap("api", (r) => (r.path === "/api" ? json({ error: "nope" }, 404) : undefined));
      },
    });
    current = await startServer({ root, plugins: [api, [get, { errorPages: { "404": "/404.html" } }]] });
    expect((await rawExchange(current.port, req("GET", "/api"))).toString()).toMatch(/\r\n\r\n\{"error":"nope"\}$/);
    expect((await rawExchange(current.port, req("PUT", "/x"))).toString()).toMatch(/^HTTP\/1\.1 405 [^]*405 Method Not Allowed\n$/);
  });

  it("without the option, the plain error body", async () => {
    current = await startServer({ root, plugins: [get] });
    expect((await rawExchange(current.port, req("GET", "/missing"))).toString()).toMatch(/\r\n\r\n404 Not Found\n$/);
  });
});
