// OPTIONS over real sockets with curl: "*" lists the server's methods, a path the methods that
// apply to it; Content-Length: 0 either way.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { text } from "../../../core/http/response.ts";
import { STAGE_GATEWAY } from "../../../core/stages.ts";
import del from "../../../plugins/delete/index.ts";
import options from "../../../plugins/options/index.ts";
import post from "../../../plugins/post/index.ts";
import put from "../../../plugins/put/index.ts";
import { addScriptExtensions } from "../../../plugins/shared/scripts.ts";
import { startServer, type PluginUse, type TestServer } from "../../helpers/server.ts";
import { curl, removeRoot, tempRoot } from "../put/http.ts";

let root: string;
let current: TestServer | undefined;

beforeEach(async () => {
  root = await tempRoot("options");
  await writeFile(path.join(root, "page.html"), "<p>static</p>");
  await writeFile(path.join(root, "form.gw"), "script");
  await writeFile(path.join(root, ".env"), "secret");
  await mkdir(path.join(root, "dir"));
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

/** A stand-in static handler (GET/HEAD) and gateway (GET/POST for *.gw). */
const staticFiles = definePlugin({
  name: "test-static",
  apply(server) {
    server.hooks.handle.for("GET").tap("test-static", () => text("static\n"));
    server.hooks.handle.for("HEAD").tap("test-static", () => text("static\n"));
  },
});
const gateway = definePlugin({
  name: "test-gateway",
  apply(server) {
    addScriptExtensions(server, [".gw"]);
    server.hooks.handle.for("POST").tap({ name: "test-gateway", stage: STAGE_GATEWAY }, (r) => (r.path.endsWith(".gw") ? text("ran\n") : undefined));
  },
});

async function serve(...plugins: PluginUse[]): Promise<string> {
  current = await startServer({ root, plugins: [options, ...plugins] });
  return current.url;
}

const OPTIONS = (url: string) => curl("-X", "OPTIONS", url);

describe("options", () => {
  it("OPTIONS * is 200 with every method the server handles, and Content-Length: 0", async () => {
    const url = await serve(staticFiles, put, del, post, gateway);
    const res = await curl("--request-target", "*", "-X", "OPTIONS", url);
    expect(res.status).toBe(200);
    expect(res.headers["allow"]).toBe("DELETE, GET, HEAD, OPTIONS, POST, PUT");
    expect(res.headers["allow"]).toBe(current!.server.methods.join(", "));
    expect(res.headers["content-length"]).toBe("0");
    expect(res.body).toBe("");
  });

  it("OPTIONS * reflects which plugins are on", async () => {
    const url = await serve(staticFiles);
    const res = await curl("--request-target", "*", "-X", "OPTIONS", url);
    expect(res.headers["allow"]).toBe("GET, HEAD, OPTIONS");
  });

  it("a static file: GET, HEAD, and PUT/DELETE only when those plugins are on", async () => {
    let url = await serve(staticFiles, put, del, post, gateway);
    let res = await OPTIONS(`${url}/page.html`);
    expect(res.status).toBe(200);
    expect(res.headers["allow"]).toBe("DELETE, GET, HEAD, OPTIONS, PUT");
    expect(res.headers["content-length"]).toBe("0");
    await current?.stop();
    url = await serve(staticFiles);
    res = await OPTIONS(`${url}/page.html`);
    expect(res.headers["allow"]).toBe("GET, HEAD, OPTIONS");
  });

  it("a script file gets POST when a gateway registered its extension; PUT refuses scripts, so no PUT", async () => {
    let url = await serve(staticFiles, put, del, post, gateway);
    let res = await OPTIONS(`${url}/form.gw`);
    expect(res.headers["allow"]).toBe("DELETE, GET, HEAD, OPTIONS, POST");
    await current?.stop();
    // Without the gateway, .gw is an ordinary file.
    url = await serve(staticFiles, put, post);
    res = await OPTIONS(`${url}/form.gw`);
    expect(res.headers["allow"]).toBe("GET, HEAD, OPTIONS, PUT");
  });

  it("a folder: no PUT (put cannot replace a folder); the root: no DELETE either", async () => {
    const url = await serve(staticFiles, put, del);
    expect((await OPTIONS(`${url}/dir`)).headers["allow"]).toBe("DELETE, GET, HEAD, OPTIONS");
    expect((await OPTIONS(`${url}/`)).headers["allow"]).toBe("GET, HEAD, OPTIONS");
  });

  it("a missing target is 404, unless PUT could create it: then 200 with OPTIONS, PUT", async () => {
    let url = await serve(staticFiles, del);
    expect((await OPTIONS(`${url}/new.txt`)).status).toBe(404);
    await current?.stop();
    url = await serve(staticFiles, put, del);
    const res = await OPTIONS(`${url}/new.txt`);
    expect(res.status).toBe(200);
    expect(res.headers["allow"]).toBe("OPTIONS, PUT");
    // PUT would refuse these: 404.
    expect((await OPTIONS(`${url}/no/parent.txt`)).status).toBe(404);
    expect((await OPTIONS(`${url}/new.php`)).status).toBe(404);
    await current?.stop();
    url = await serve(staticFiles, [put, { createDirs: true }]);
    expect((await OPTIONS(`${url}/no/parent.txt`)).headers["allow"]).toBe("OPTIONS, PUT");
  });

  it("a dotfile is 404, as get hides it; dotfiles: allow shows it", async () => {
    let url = await serve(staticFiles, del);
    expect((await OPTIONS(`${url}/.env`)).status).toBe(404);
    await current?.stop();
    current = await startServer({ root, plugins: [[options, { dotfiles: "allow" }], staticFiles] });
    url = current.url;
    const res = await OPTIONS(`${url}/.env`);
    expect(res.status).toBe(200);
    expect(res.headers["allow"]).toBe("GET, HEAD, OPTIONS");
  });

  it("a plugin of the user's that answers OPTIONS comes first (options is the fallback)", async () => {
    const cors = definePlugin({
      name: "test-cors",
      apply(server) {
        server.hooks.handle.for("OPTIONS").tap("test-cors", (r) => (r.path === "/api" ? { status: 204, headers: { "access-control-allow-origin": "*" } } : undefined));
      },
    });
    const url = await serve(cors);
    const res = await OPTIONS(`${url}/api`);
    expect(res.status).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
  });
});
