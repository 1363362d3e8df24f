// The POST gate and fallback over real sockets with curl: 411/400/415/413 before any gateway,
// 405 with Allow for a static file, 404 for nothing, and a gateway answering when it takes it.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import { STAGE_GATEWAY } from "../../../core/stages.ts";
import post from "../../../plugins/post/index.ts";
import put from "../../../plugins/put/index.ts";
import del from "../../../plugins/delete/index.ts";
import options from "../../../plugins/options/index.ts";
import { addScriptExtensions } from "../../../plugins/shared/scripts.ts";
import { rawExchange, startServer, statuses, type PluginUse, type TestServer } from "../../helpers/server.ts";
import { curl, removeRoot, tempRoot } from "../put/http.ts";

let root: string;
let current: TestServer | undefined;

beforeEach(async () => {
  root = await tempRoot("post");
  await writeFile(path.join(root, "page.html"), "<p>static</p>");
  await writeFile(path.join(root, ".hidden"), "h");
  await mkdir(path.join(root, "dir"));
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

/** A stand-in gateway: answers POST for *.gw with the size of the body it read. */
const gateway = definePlugin({
  name: "test-gateway",
  apply(server) {
    addScriptExtensions(server, [".gw"]);
    server.hooks.handle.for("POST").tapPromise({ name: "test-gateway", stage: STAGE_GATEWAY }, async (request) => {
      if (!request.path.endsWith(".gw")) return undefined;
      const body = await request.body();
      return text(`got ${body.length} bytes\n`);
    });
  },
});

async function serve(postOptions: Record<string, unknown> = {}, ...more: PluginUse[]): Promise<string> {
  current = await startServer({ root, limits: { maxBodyBytes: 1000 }, plugins: [[post, postOptions], gateway, ...more] });
  return current.url;
}

describe("post: the gate", () => {
  it("411 without Content-Length or chunked framing", async () => {
    const url = await serve();
    // curl -X POST without data sends neither field.
    const res = await curl("-X", "POST", `${url}/run.gw`);
    expect(res.status).toBe(411);
    expect(res.body).toMatch(/Content-Length or Transfer-Encoding/);
  });

  it("400 with a clear message when the content has no Content-Type", async () => {
    const url = await serve();
    const res = await curl("-d", "a=1", "-H", "Content-Type:", `${url}/run.gw`);
    expect(res.status).toBe(400);
    expect(res.body).toBe("400 Bad Request: POST content needs a Content-Type header\n");
  });

  it("Content-Length: 0 needs no Content-Type; requireContentType: false lets any through", async () => {
    let url = await serve();
    const empty = await curl("-X", "POST", "-H", "Content-Length: 0", `${url}/run.gw`);
    expect(empty.status).toBe(200);
    expect(empty.body).toBe("got 0 bytes\n");
    await current?.stop();
    url = await serve({ requireContentType: false });
    const res = await curl("-d", "a=1", "-H", "Content-Type:", `${url}/run.gw`);
    expect(res.status).toBe(200);
    expect(res.body).toBe("got 3 bytes\n");
  });

  it("400 for two Content-Type fields", async () => {
    const url = await serve();
    const res = await curl("-d", "a=1", "-H", "Content-Type: text/plain", "-H", "Content-Type: application/json", `${url}/run.gw`);
    expect(res.status).toBe(400);
  });

  it("415 for a type outside contentTypes; type/* and parameters match", async () => {
    const url = await serve({ contentTypes: ["application/x-www-form-urlencoded", "text/*"] });
    expect((await curl("-d", "{}", "-H", "Content-Type: application/json", `${url}/run.gw`)).status).toBe(415);
    expect((await curl("-d", "a=1", `${url}/run.gw`)).status).toBe(200);
    expect((await curl("-d", "hi", "-H", "Content-Type: Text/Plain; charset=utf-8", `${url}/run.gw`)).status).toBe(200);
  });

  it("413 from the core for a Content-Length over limits.maxBodyBytes", async () => {
    const url = await serve();
    const res = await curl("-d", "x".repeat(2000), `${url}/run.gw`);
    expect(res.status).toBe(413);
  });

  it("413 end to end for a chunked body that grows past the limit while the gateway reads it", async () => {
    await serve();
    const chunk = "x".repeat(600);
    const res = await rawExchange(current!.port, [
      "POST /run.gw HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n",
      `258\r\n${chunk}\r\n`,
      `258\r\n${chunk}\r\n0\r\n\r\n`,
    ]);
    expect(statuses(res)).toEqual([413]);
    expect(res.toString()).toMatch(/\r\nConnection: close\r\n/);
    // Under the limit, the same gateway reads it all.
    const ok = await rawExchange(current!.port, "POST /run.gw HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect(ok.toString()).toMatch(/\r\n\r\ngot 3 bytes\n$/);
  });

  it("the gate leaves other methods alone", async () => {
    await serve();
    const res = await rawExchange(current!.port, "PUT /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    // No PUT plugin here: the core's 405, not the gate's 411.
    expect(statuses(res)).toEqual([405]);
  });
});

describe("post: the fallback", () => {
  it("405 with Allow for an existing static file or folder (no POST in it)", async () => {
    const url = await serve({}, put, del, options);
    const res = await curl("-d", "a=1", `${url}/page.html`);
    expect(res.status).toBe(405);
    expect(res.headers["allow"]).toBe("DELETE, OPTIONS, PUT");
    const dir = await curl("-d", "a=1", `${url}/dir`);
    expect(dir.status).toBe(405);
    expect(dir.headers["allow"]).toBe("DELETE, OPTIONS");
  });

  it("404 for nothing there, and for a hidden dotfile", async () => {
    const url = await serve({}, put);
    expect((await curl("-d", "a=1", `${url}/missing.html`)).status).toBe(404);
    expect((await curl("-d", "a=1", `${url}/.hidden`)).status).toBe(404);
  });

  it("a gateway's script is answered by the gateway, before the fallback", async () => {
    await writeFile(path.join(root, "page.gw"), "script");
    const url = await serve();
    const res = await curl("-d", "abc", `${url}/page.gw`);
    expect(res.status).toBe(200);
    expect(res.body).toBe("got 3 bytes\n");
  });
});
