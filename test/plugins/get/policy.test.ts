// Dotfiles and symlinks by policy (DESIGN §8): dotfiles 404 unless allowed (.well-known always
// served); symlinks followed only while their real path stays under the root, or never.
import { renameSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import get from "../../../plugins/get/index.ts";
import { startServer, type TestServer } from "../../helpers/server.ts";
import { makeSite, raw, serveSite, type Site } from "./helpers.ts";

const SECRET = "outside-secret-7f3a\n";

function site(): Site {
  const s = makeSite({
    "index.html": "home\n",
    ".htpasswd": "admin:$apr1$x\n",
    ".git/": "",
    ".git/config": "[core]\n",
    "sub/": "",
    "sub/.env": "KEY=1\n",
    ".well-known/": "",
    ".well-known/security.txt": "Contact: x\n",
    "real/": "",
    "real/file.txt": "real file\n",
    "link-inside.txt": "->real/file.txt",
    "dir-inside": "->real",
    "link-outside.txt": "->../secret.txt",
    "dir-outside": "->..",
    "dangling.txt": "->nowhere.txt",
  });
  writeFileSync(path.join(s.base, "secret.txt"), SECRET);
  // An absolute symlink, to the secret outside the root.
  symlinkSync(path.join(s.base, "secret.txt"), s.file("abs-outside.txt"));
  return s;
}

describe("policy: defaults (dotfiles deny, symlinks inside)", () => {
  let s: Site;
  let server: TestServer;
  beforeAll(async () => {
    s = site();
    server = await serveSite(s);
  });
  afterAll(async () => {
    await server.stop();
    s.cleanup();
  });

  it.each(["/.htpasswd", "/.git/config", "/.git/", "/.git", "/sub/.env"])("dotfile %s is 404", async (target) => {
    const a = await raw(server.port, target);
    expect(a.status).toBe(404);
    expect(a.body.toString()).not.toContain("admin");
    expect(a.body.toString()).not.toContain("[core]");
  });

  it("/.well-known/ is served (RFC 8615)", async () => {
    const a = await raw(server.port, "/.well-known/security.txt");
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("Contact: x\n");
  });

  it("a symlink whose real path stays under the root is followed (file and folder)", async () => {
    expect((await raw(server.port, "/link-inside.txt")).body.toString()).toBe("real file\n");
    expect((await raw(server.port, "/dir-inside/file.txt")).body.toString()).toBe("real file\n");
    expect((await raw(server.port, "/dir-inside")).status).toBe(301);
  });

  it.each(["/link-outside.txt", "/abs-outside.txt", "/dir-outside/secret.txt", "/dir-outside/", "/dir-outside"])(
    "a symlink leaving the root is 404: %s",
    async (target) => {
      const a = await raw(server.port, target);
      expect(a.status).toBe(404);
      expect(a.body.toString()).not.toContain(SECRET.trim());
    },
  );

  it("a dangling symlink is 404", async () => {
    expect((await raw(server.port, "/dangling.txt")).status).toBe(404);
  });
});

describe("policy: symlinks refuse", () => {
  let s: Site;
  let server: TestServer;
  beforeAll(async () => {
    s = site();
    server = await serveSite(s, { symlinks: "refuse" });
  });
  afterAll(async () => {
    await server.stop();
    s.cleanup();
  });

  it("every path through a symlink is 404, even one staying inside the root", async () => {
    expect((await raw(server.port, "/link-inside.txt")).status).toBe(404);
    expect((await raw(server.port, "/dir-inside/file.txt")).status).toBe(404);
    expect((await raw(server.port, "/dir-inside")).status).toBe(404);
    expect((await raw(server.port, "/link-outside.txt")).status).toBe(404);
  });

  it("plain files and folders are still served", async () => {
    expect((await raw(server.port, "/real/file.txt")).body.toString()).toBe("real file\n");
    expect((await raw(server.port, "/")).body.toString()).toBe("home\n");
  });
});

describe("policy: dotfiles allow", () => {
  it("serves dotfiles when allowed", async () => {
    const s = site();
    const server = await serveSite(s, { dotfiles: "allow" });
    try {
      expect((await raw(server.port, "/sub/.env")).body.toString()).toBe("KEY=1\n");
      expect((await raw(server.port, "/.git/config")).status).toBe(200);
    } finally {
      await server.stop();
      s.cleanup();
    }
  });
});

describe("policy: a root that is a symlink (release switch)", () => {
  it("after the root's symlink is switched to another release, files come from the new one", async () => {
    const s = makeSite({ "r1/": "", "r1/a.txt": "release 1\n", "r2/": "", "r2/a.txt": "release 2\n" });
    const current = path.join(s.base, "current");
    symlinkSync(s.file("r1"), current);
    const server = await startServer({ root: current, plugins: [[get, { cache: { revalidateMs: 0 } }]] });
    try {
      expect((await raw(server.port, "/a.txt")).body.toString()).toBe("release 1\n");
      // Switch atomically, as deploy tools do: a new link renamed over the old one.
      symlinkSync(s.file("r2"), `${current}.new`);
      renameSync(`${current}.new`, current);
      const after = await raw(server.port, "/a.txt");
      expect(after.status).toBe(200);
      expect(after.body.toString()).toBe("release 2\n");
    } finally {
      await server.stop();
      s.cleanup();
    }
  });
});
