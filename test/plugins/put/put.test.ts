// PUT over real sockets with curl -T: statuses, headers and what ends up on disk.
import { lstat, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import put from "../../../plugins/put/index.ts";
import { fileETag } from "../../../plugins/shared/etag.ts";
import { addScriptExtensions } from "../../../plugins/shared/scripts.ts";
import { rawExchange, startServer, statuses, type PluginUse, type TestServer } from "../../helpers/server.ts";
import { curl, removeRoot, tempFiles, tempRoot } from "./http.ts";

let root: string;
let upload: string;
let current: TestServer | undefined;

beforeEach(async () => {
  root = await tempRoot("put");
  upload = path.join(root, "..", path.basename(root) + ".upload");
  await writeFile(upload, "new body\n");
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
  await removeRoot(upload);
});

async function serve(options: Record<string, unknown> = {}, ...more: PluginUse[]) {
  current = await startServer({ root, plugins: [[put, options], ...more] });
  return current.url;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

describe("put: create and replace", () => {
  it("creates a new file: 201 with Location and the ETag get will send", async () => {
    const url = await serve();
    const res = await curl("-T", upload, `${url}/new.txt`);
    expect(res.status).toBe(201);
    expect(res.headers["location"]).toBe("/new.txt");
    expect(await readFile(path.join(root, "new.txt"), "utf8")).toBe("new body\n");
    expect(res.headers["etag"]).toBe(fileETag(await stat(path.join(root, "new.txt"))));
    expect(res.headers["content-length"]).toBe("0");
  });

  it("replaces an existing file: 204 with the new ETag, keeping the file's permission bits", async () => {
    const file = path.join(root, "old.txt");
    await writeFile(file, "old body, longer than the new one\n", { mode: 0o640 });
    const before = fileETag(await stat(file));
    const url = await serve();
    const res = await curl("-T", upload, `${url}/old.txt`);
    expect(res.status).toBe(204);
    expect(res.headers["location"]).toBeUndefined();
    expect(await readFile(file, "utf8")).toBe("new body\n");
    const after = await stat(file);
    expect(res.headers["etag"]).toBe(fileETag(after));
    expect(res.headers["etag"]).not.toBe(before);
    expect(after.mode & 0o777).toBe(0o640);
    expect(await tempFiles(root)).toEqual([]);
  });

  it("an empty body (Content-Length: 0) makes an empty file", async () => {
    const url = await serve();
    await writeFile(upload, "");
    const res = await curl("-T", upload, `${url}/empty.txt`);
    expect(res.status).toBe(201);
    expect((await stat(path.join(root, "empty.txt"))).size).toBe(0);
  });

  it("a chunked body is written whole", async () => {
    await serve();
    const raw = await rawExchange(current!.port, "PUT /chunked.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    expect(statuses(raw)).toEqual([201]);
    expect(await readFile(path.join(root, "chunked.txt"), "utf8")).toBe("hello world");
  });

  it("Location is the path percent-encoded again", async () => {
    const url = await serve();
    const res = await curl("-T", upload, `${url}/a%20b%C3%BC.txt`);
    expect(res.status).toBe(201);
    expect(res.headers["location"]).toBe("/a%20b%C3%BC.txt");
    expect(await readFile(path.join(root, "a bü.txt"), "utf8")).toBe("new body\n");
  });
});

describe("put: refusals", () => {
  it("409 for a missing parent folder; createDirs creates it", async () => {
    let url = await serve();
    let res = await curl("-T", upload, `${url}/a/b/c.txt`);
    expect(res.status).toBe(409);
    expect(res.body).toMatch(/parent folder/);
    expect(await exists(path.join(root, "a"))).toBe(false);
    await current?.stop();
    url = await serve({ createDirs: true });
    res = await curl("-T", upload, `${url}/a/b/c.txt`);
    expect(res.status).toBe(201);
    expect(await readFile(path.join(root, "a/b/c.txt"), "utf8")).toBe("new body\n");
  });

  it("createDirs never creates a folder through a symlink that leaves the root", async () => {
    const outside = await tempRoot("put-outside");
    try {
      await symlink(outside, path.join(root, "out"));
      const url = await serve({ createDirs: true });
      const res = await curl("-T", upload, `${url}/out/sub/x.txt`);
      expect(res.status).toBe(403);
      expect(await exists(path.join(outside, "sub"))).toBe(false);
    } finally {
      await removeRoot(outside);
    }
  });

  it("409 when the target is a folder, or the path ends in /", async () => {
    await mkdir(path.join(root, "dir"));
    const url = await serve();
    expect((await curl("-T", upload, `${url}/dir`)).status).toBe(409);
    // curl -T appends the file's name to a URL ending in "/": name the target explicitly.
    const slash = await curl("-T", upload, "--request-target", "/fresh/", url);
    expect(slash.status).toBe(409);
    expect(slash.body).toMatch(/is a folder/);
    expect(await exists(path.join(root, "fresh"))).toBe(false);
  });

  it("403 for the root itself", async () => {
    const url = await serve();
    const res = await curl("-T", upload, "--request-target", "/", url);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/root/);
  });

  it("400 for Content-Range (RFC 9110 §14.5), and the file is untouched", async () => {
    await writeFile(path.join(root, "r.txt"), "original");
    const url = await serve();
    const res = await curl("-T", upload, "-H", "Content-Range: bytes 0-8/9", `${url}/r.txt`);
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Content-Range/);
    expect(await readFile(path.join(root, "r.txt"), "utf8")).toBe("original");
  });

  it("411 for a PUT without Content-Length or chunked framing", async () => {
    await serve();
    const raw = (await rawExchange(current!.port, "PUT /x.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")).toString();
    expect(raw).toMatch(/^HTTP\/1\.1 411 Length Required\r\n/);
    expect(await exists(path.join(root, "x.txt"))).toBe(false);
  });

  it("415 with Accept-Encoding: identity for a content-coded body", async () => {
    const url = await serve();
    const res = await curl("-T", upload, "-H", "Content-Encoding: gzip", `${url}/z.txt`);
    expect(res.status).toBe(415);
    expect(res.headers["accept-encoding"]).toBe("identity");
    expect(await exists(path.join(root, "z.txt"))).toBe(false);
  });

  it("403 for a dotfile unless dotfiles is allow; the temp-file prefix is never a target", async () => {
    let url = await serve();
    expect((await curl("-T", upload, `${url}/.env`)).status).toBe(403);
    expect((await curl("-T", upload, `${url}/.git/config`)).status).toBe(403);
    expect(await exists(path.join(root, ".env"))).toBe(false);
    await current?.stop();
    url = await serve({ dotfiles: "allow" });
    expect((await curl("-T", upload, `${url}/.env`)).status).toBe(201);
    expect((await curl("-T", upload, `${url}/.plugd-put-abc.tmp`)).status).toBe(403);
  });

  it("403 for a symlink as the target, and the link's target is untouched", async () => {
    await writeFile(path.join(root, "real.txt"), "real");
    await symlink("real.txt", path.join(root, "link.txt"));
    const url = await serve();
    expect((await curl("-T", upload, `${url}/link.txt`)).status).toBe(403);
    expect(await readFile(path.join(root, "real.txt"), "utf8")).toBe("real");
  });
});

describe("put: script files", () => {
  const refused = ["/x.php", "/X.PhP", "/x.phtml", "/x.phar", "/x.cgi", "/x.pl", "/x.py", "/x.sh", "/x.php.jpg", "/x.jpg/y.php", "/x.php/y", "/.php"];
  it.each(refused)("403 for %s (even with createDirs and dotfiles allowed), nothing created", async (p) => {
    const url = await serve({ createDirs: true, dotfiles: "allow" });
    const res = await curl("-T", upload, `${url}${p}`);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/may not create/);
    expect(await tempFiles(root)).toEqual([]);
    const top = p.split("/")[1] as string;
    expect(await exists(path.join(root, top))).toBe(false);
  });

  it("an extension a gateway registered is refused too, case-insensitively", async () => {
    const gateway = definePlugin({ name: "fake-gateway", apply: (server) => addScriptExtensions(server, [".HACK"]) });
    const url = await serve({}, gateway);
    expect((await curl("-T", upload, `${url}/x.hack`)).status).toBe(403);
    expect((await curl("-T", upload, `${url}/x.HaCk`)).status).toBe(403);
    expect((await curl("-T", upload, `${url}/x.txt`)).status).toBe(201);
  });

  it("the extension list is an option, and allowScripts lets them through", async () => {
    let url = await serve({ scriptExtensions: [".rb"] });
    expect((await curl("-T", upload, `${url}/x.rb`)).status).toBe(403);
    expect((await curl("-T", upload, `${url}/x.php`)).status).toBe(201);
    await current?.stop();
    url = await serve({ allowScripts: true });
    expect((await curl("-T", upload, `${url}/y.php`)).status).toBe(201);
    expect(await readFile(path.join(root, "y.php"), "utf8")).toBe("new body\n");
  });
});

describe("put: preconditions (RFC 9110 §13.1)", () => {
  it("If-Match with the current ETag replaces; with another ETag is 412 and changes nothing", async () => {
    const file = path.join(root, "c.txt");
    await writeFile(file, "v1");
    const etag = fileETag(await stat(file));
    const url = await serve();
    const stale = await curl("-T", upload, "-H", `If-Match: "0-0-0"`, `${url}/c.txt`);
    expect(stale.status).toBe(412);
    expect(await readFile(file, "utf8")).toBe("v1");
    const weak = await curl("-T", upload, "-H", `If-Match: W/${etag}`, `${url}/c.txt`);
    expect(weak.status).toBe(412);
    const ok = await curl("-T", upload, "-H", `If-Match: "x", ${etag}`, `${url}/c.txt`);
    expect(ok.status).toBe(204);
    expect(await readFile(file, "utf8")).toBe("new body\n");
    // The ETag just used is stale now: the same request fails.
    expect((await curl("-T", upload, "-H", `If-Match: ${etag}`, `${url}/c.txt`)).status).toBe(412);
  });

  it("If-Match: * is 412 for a missing file, 204 for an existing one", async () => {
    await writeFile(path.join(root, "e.txt"), "v1");
    const url = await serve();
    expect((await curl("-T", upload, "-H", "If-Match: *", `${url}/missing.txt`)).status).toBe(412);
    expect(await exists(path.join(root, "missing.txt"))).toBe(false);
    expect((await curl("-T", upload, "-H", "If-Match: *", `${url}/e.txt`)).status).toBe(204);
  });

  it("If-None-Match: * creates a new file but is 412 over an existing one", async () => {
    await writeFile(path.join(root, "taken.txt"), "mine");
    const url = await serve();
    const res = await curl("-T", upload, "-H", "If-None-Match: *", `${url}/taken.txt`);
    expect(res.status).toBe(412);
    expect(await readFile(path.join(root, "taken.txt"), "utf8")).toBe("mine");
    expect((await curl("-T", upload, "-H", "If-None-Match: *", `${url}/free.txt`)).status).toBe(201);
  });

  it("If-Unmodified-Since before the file's mtime is 412", async () => {
    await writeFile(path.join(root, "u.txt"), "v1");
    const url = await serve();
    const res = await curl("-T", upload, "-H", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT", `${url}/u.txt`);
    expect(res.status).toBe(412);
    expect(await readFile(path.join(root, "u.txt"), "utf8")).toBe("v1");
    const later = new Date(Date.now() + 3600_000).toUTCString();
    expect((await curl("-T", upload, "-H", `If-Unmodified-Since: ${later}`, `${url}/u.txt`)).status).toBe(204);
  });
});
