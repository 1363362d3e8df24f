import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import mkcol from "../../examples/mkcol.ts";
import { rawExchange, startServer, type TestServer } from "../helpers/server.ts";

let root: string;
let current: TestServer | undefined;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "plugd-mkcol-"));
  current = await startServer({ root, plugins: [mkcol] });
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await rm(root, { recursive: true, force: true });
});

async function send(head: string): Promise<string> {
  return (await rawExchange((current as TestServer).port, head)).toString();
}
const mk = (p: string, extra = "") => `MKCOL ${p} HTTP/1.1\r\nHost: t\r\n${extra}Connection: close\r\n\r\n`;

describe("examples/mkcol.ts (RFC 4918 §9.3)", () => {
  it("201 creates the collection, with Location", async () => {
    const res = await send(mk("/new"));
    expect(res).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(res).toMatch(/\r\nlocation: \/new\/\r\n/);
    expect((await stat(path.join(root, "new"))).isDirectory()).toBe(true);
  });

  it("405 when something exists there already", async () => {
    await writeFile(path.join(root, "file"), "x");
    expect(await send(mk("/file"))).toMatch(/^HTTP\/1\.1 405 /);
    await send(mk("/dir"));
    expect(await send(mk("/dir/"))).toMatch(/^HTTP\/1\.1 405 /);
  });

  it("409 without a parent collection", async () => {
    expect(await send(mk("/a/b/c"))).toMatch(/^HTTP\/1\.1 409 /);
  });

  it("415 with a body", async () => {
    expect(await send(mk("/withbody", "Content-Type: text/xml\r\nContent-Length: 4\r\n").replace(/\r\n\r\n$/, "\r\n\r\n<x/>"))).toMatch(/^HTTP\/1\.1 415 /);
  });

  it("never outside the root, never a dotfile", async () => {
    expect(await send(mk("/../escape"))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await send(mk("/.hidden"))).toMatch(/^HTTP\/1\.1 403 /);
  });
});
