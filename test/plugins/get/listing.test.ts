// Folder listings: off by default; HTML with every name escaped, JSON for Accept:
// application/json; dotfiles and symlinks leaving the root never listed.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, makeSite, raw, serveSite, type Site } from "./helpers.ts";

const NASTY = `<img src=x onerror=alert(1)>&"'.txt`;

describe("listing", () => {
  let site: Site;
  let server: TestServer;
  beforeAll(async () => {
    site = makeSite({
      "files/": "",
      "files/b.txt": "bbb",
      "files/a.txt": "a",
      "files/sub/": "",
      "files/.secret": "s",
      "files/.git/": "",
      "files/inside-link.txt": "->a.txt",
      "files/outside-link.txt": "->../../outside.txt",
      "files/outside-dir": "->../..",
      "files/with index/": "",
      "files/with index/index.html": "index wins\n",
    });
    writeFileSync(path.join(site.base, "outside.txt"), "outside");
    writeFileSync(site.file(`files/${NASTY}`), "nasty");
    server = await serveSite(site, { listing: true });
  });
  afterAll(async () => {
    await server.stop();
    site.cleanup();
  });

  it("HTML by default: names escaped, links percent-encoded, folders first", async () => {
    const a = await curl(`${server.url}/files/`);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(a.headers.vary).toBe("accept");
    expect(a.headers["content-security-policy"]).toContain("default-src 'none'");
    const html = a.body.toString();
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;.txt");
    expect(html).toContain(`href="${encodeURIComponent(NASTY).replace(/'/g, "&#39;")}"`);
    expect(html).toContain('<a href="sub/">sub/</a>');
    expect(html).toContain('<a href="a.txt">a.txt</a>');
    expect(html).toContain('<a href="../">../</a>');
    expect(html.indexOf('href="sub/"')).toBeLessThan(html.indexOf('href="a.txt"'));
    expect(html.indexOf('href="a.txt"')).toBeLessThan(html.indexOf('href="b.txt"'));
  });

  it("the listed link fetches the file", async () => {
    const a = await raw(server.port, `/files/${encodeURIComponent(NASTY)}`);
    expect(a.status).toBe(200);
    expect(a.body.toString()).toBe("nasty");
  });

  it("JSON when Accept asks for application/json", async () => {
    const a = await curl(`${server.url}/files/`, "-H", "Accept: application/json");
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe("application/json; charset=utf-8");
    const listing = JSON.parse(a.body.toString()) as { path: string; entries: Array<{ name: string; type: string; size: number; modified: string }> };
    expect(listing.path).toBe("/files/");
    const names = listing.entries.map((e) => e.name);
    expect(names).toEqual(["sub", "with index", NASTY, "a.txt", "b.txt", "inside-link.txt"]);
    const b = listing.entries.find((e) => e.name === "b.txt");
    expect(b).toMatchObject({ type: "file", size: 3 });
    expect(Number.isNaN(Date.parse(b?.modified ?? ""))).toBe(false);
    expect(listing.entries.find((e) => e.name === "sub")?.type).toBe("directory");
  });

  it("HTML when the browser's Accept ranks text/html first", async () => {
    const a = await raw(server.port, "/files/", { Accept: "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8" });
    expect(a.headers["content-type"]).toBe("text/html; charset=utf-8");
  });

  it("dotfiles and symlinks that leave the root are not listed", async () => {
    const html = (await raw(server.port, "/files/")).body.toString();
    expect(html).not.toContain(".secret");
    expect(html).not.toContain(".git");
    expect(html).not.toContain("outside-link");
    expect(html).not.toContain("outside-dir");
    expect(html).toContain("inside-link.txt");
  });

  it("an index file wins over the listing; the root lists without a parent link", async () => {
    expect((await raw(server.port, "/files/with%20index/")).body.toString()).toBe("index wins\n");
    const root = (await raw(server.port, "/")).body.toString();
    expect(root).toContain('href="files/"');
    expect(root).not.toContain('href="../"');
  });
});

describe("listing: options", () => {
  it("off by default: a folder without an index is 404", async () => {
    const site = makeSite({ "files/": "", "files/a.txt": "a" });
    const server = await serveSite(site);
    try {
      expect((await raw(server.port, "/files/")).status).toBe(404);
    } finally {
      await server.stop();
      site.cleanup();
    }
  });

  it("dotfiles: allow lists them", async () => {
    const site = makeSite({ "files/": "", "files/.env": "x" });
    const server = await serveSite(site, { listing: true, dotfiles: "allow" });
    try {
      expect((await raw(server.port, "/files/")).body.toString()).toContain('href=".env"');
    } finally {
      await server.stop();
      site.cleanup();
    }
  });
});
