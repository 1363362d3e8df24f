// DELETE over real sockets with curl -X DELETE: statuses, headers and what is left on disk.
import { lstat, mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import del from "../../../plugins/delete/index.ts";
import { fileETag } from "../../../plugins/shared/etag.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";
import { mountTmpfs, remountReadOnly, unmount } from "../put/mounts.ts";
import { curl, removeRoot, tempRoot } from "../put/http.ts";

let root: string;
let current: TestServer | undefined;

beforeEach(async () => {
  root = await tempRoot("delete");
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

async function serve(options: Record<string, unknown> = {}, at = root): Promise<string> {
  current = await startServer({ root: at, plugins: [[del, options]] });
  return current.url;
}

const exists = (p: string) => lstat(p).then(() => true, () => false);
const DELETE = (url: string, ...extra: string[]) => curl("-X", "DELETE", ...extra, url);

describe("delete", () => {
  it("204 for a file, which is gone; then 404", async () => {
    await writeFile(path.join(root, "a.txt"), "a");
    const url = await serve();
    const res = await DELETE(`${url}/a.txt`);
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect(await exists(path.join(root, "a.txt"))).toBe(false);
    expect((await DELETE(`${url}/a.txt`)).status).toBe(404);
  });

  it("404 for a missing file, a missing parent, and a file named with a trailing slash", async () => {
    await writeFile(path.join(root, "f.txt"), "f");
    const url = await serve();
    expect((await DELETE(`${url}/nothing.txt`)).status).toBe(404);
    expect((await DELETE(`${url}/no/such/dir.txt`)).status).toBe(404);
    expect((await DELETE(`${url}/f.txt/`)).status).toBe(404);
    expect(await exists(path.join(root, "f.txt"))).toBe(true);
  });

  it("an empty folder is removed (with or without the trailing slash)", async () => {
    await mkdir(path.join(root, "empty1"));
    await mkdir(path.join(root, "empty2"));
    const url = await serve();
    expect((await DELETE(`${url}/empty1`)).status).toBe(204);
    expect((await DELETE(`${url}/empty2/`)).status).toBe(204);
    expect(await exists(path.join(root, "empty1"))).toBe(false);
    expect(await exists(path.join(root, "empty2"))).toBe(false);
  });

  it("409 for a folder that is not empty; recursive: true removes the whole tree (RFC 4918 §9.6.1)", async () => {
    await mkdir(path.join(root, "tree/sub"), { recursive: true });
    await writeFile(path.join(root, "tree/sub/x.txt"), "x");
    let url = await serve();
    const res = await DELETE(`${url}/tree`);
    expect(res.status).toBe(409);
    expect(res.body).toMatch(/not empty/);
    expect(await exists(path.join(root, "tree/sub/x.txt"))).toBe(true);
    await current?.stop();
    url = await serve({ recursive: true });
    expect((await DELETE(`${url}/tree`)).status).toBe(204);
    expect(await exists(path.join(root, "tree"))).toBe(false);
  });

  it("recursive removes a symlink inside the tree, never what it points to", async () => {
    const outside = await tempRoot("delete-outside");
    try {
      await writeFile(path.join(outside, "precious.txt"), "keep");
      await mkdir(path.join(root, "tree"));
      await symlink(outside, path.join(root, "tree/link"));
      const url = await serve({ recursive: true });
      expect((await DELETE(`${url}/tree`)).status).toBe(204);
      expect(await exists(path.join(root, "tree"))).toBe(false);
      expect(await readFile(path.join(outside, "precious.txt"), "utf8")).toBe("keep");
    } finally {
      await removeRoot(outside);
    }
  });

  it("recursive refuses (403) a tree holding a dotfile while dotfiles is deny, and removes nothing", async () => {
    await mkdir(path.join(root, "proj/deep"), { recursive: true });
    await writeFile(path.join(root, "proj/a.txt"), "a");
    await writeFile(path.join(root, "proj/deep/.secret"), "s");
    let url = await serve({ recursive: true });
    expect((await DELETE(`${url}/proj`)).status).toBe(403);
    expect(await exists(path.join(root, "proj/a.txt"))).toBe(true);
    await current?.stop();
    url = await serve({ recursive: true, dotfiles: "allow" });
    expect((await DELETE(`${url}/proj`)).status).toBe(204);
    expect(await exists(path.join(root, "proj"))).toBe(false);
  });

  it("403 for the root itself, with or without recursive", async () => {
    await writeFile(path.join(root, "a.txt"), "a");
    let url = await serve();
    expect((await DELETE(`${url}/`)).status).toBe(403);
    await current?.stop();
    url = await serve({ recursive: true });
    const res = await DELETE(`${url}/`);
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/root/);
    // "/a/.." normalizes to "/": still the root. curl would normalize it itself; send it raw.
    const raw = await rawExchange(current!.port, "DELETE /a/.. HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    expect(statuses(raw)).toEqual([403]);
    expect(await exists(path.join(root, "a.txt"))).toBe(true);
  });

  it("403 for a dotfile unless dotfiles is allow", async () => {
    await writeFile(path.join(root, ".htpasswd"), "x");
    let url = await serve();
    expect((await DELETE(`${url}/.htpasswd`)).status).toBe(403);
    expect(await exists(path.join(root, ".htpasswd"))).toBe(true);
    await current?.stop();
    url = await serve({ dotfiles: "allow" });
    expect((await DELETE(`${url}/.htpasswd`)).status).toBe(204);
    expect(await exists(path.join(root, ".htpasswd"))).toBe(false);
  });

  it("never outside the root: a symlinked folder that leaves it is 403, a symlink itself is 403", async () => {
    const outside = await tempRoot("delete-outside");
    try {
      await writeFile(path.join(outside, "victim.txt"), "v");
      await symlink(outside, path.join(root, "out"));
      await symlink(path.join(outside, "victim.txt"), path.join(root, "v.txt"));
      const url = await serve({ recursive: true });
      expect((await DELETE(`${url}/out/victim.txt`)).status).toBe(403);
      expect((await DELETE(`${url}/out`)).status).toBe(403);
      expect((await DELETE(`${url}/v.txt`)).status).toBe(403);
      expect(await readFile(path.join(outside, "victim.txt"), "utf8")).toBe("v");
      expect(await exists(path.join(root, "v.txt"))).toBe(true);
    } finally {
      await removeRoot(outside);
    }
  });

  it("412 for a failed If-Match; 204 when it matches the ETag get sends", async () => {
    const file = path.join(root, "m.txt");
    await writeFile(file, "m");
    const url = await serve();
    expect((await DELETE(`${url}/m.txt`, "-H", 'If-Match: "nope"')).status).toBe(412);
    expect(await exists(file)).toBe(true);
    expect((await DELETE(`${url}/m.txt`, "-H", "If-None-Match: *")).status).toBe(412);
    expect(await exists(file)).toBe(true);
    const etag = fileETag(await stat(file));
    expect((await DELETE(`${url}/m.txt`, "-H", `If-Match: ${etag}`)).status).toBe(204);
    expect(await exists(file)).toBe(false);
  });

  it("403 when the OS refuses (a read-only file system: EROFS, which root gets too)", async () => {
    const parent = await tempRoot("delete-ro");
    const ro = path.join(parent, "ro");
    await mountTmpfs(ro, "64k");
    try {
      await writeFile(path.join(ro, "stuck.txt"), "s");
      await mkdir(path.join(ro, "dir"));
      await remountReadOnly(ro);
      const url = await serve({}, ro);
      const res = await DELETE(`${url}/stuck.txt`);
      expect(res.status).toBe(403);
      expect((await DELETE(`${url}/dir`)).status).toBe(403);
      expect(await exists(path.join(ro, "stuck.txt"))).toBe(true);
    } finally {
      await current?.stop();
      current = undefined;
      await unmount(ro);
      await removeRoot(parent);
    }
  });
});
