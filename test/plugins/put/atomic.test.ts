// PUT is atomic and streams (DESIGN §8): an aborted upload, a body over the limit, a full disk
// and two racing uploads each leave either the old file or one whole new body, and no temp file.
import { spawn, type ChildProcess } from "node:child_process";
import { watch } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import put from "../../../plugins/put/index.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../../helpers/server.ts";
import { curl, logWaiter, removeRoot, tempFiles, tempRoot } from "./http.ts";
import { mountTmpfs, remountReadOnly, unmount } from "./mounts.ts";

let root: string;
let current: TestServer | undefined;

beforeEach(async () => {
  root = await tempRoot("put-atomic");
});
afterEach(async () => {
  await current?.stop();
  current = undefined;
  await removeRoot(root);
});

/** Resolves once `check()` is true, re-checking on every change in `folder` (no polling). */
function whenFolder(folder: string, check: () => Promise<boolean>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const watcher = watch(folder);
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), 10_000);
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
    const test = () => void check().then((ok) => ok && finish(), (err: Error) => finish(err));
    watcher.on("change", test);
    watcher.on("error", (err) => finish(err));
    test();
  });
}

/** True when `count` temp files in `folder` each hold exactly `size` bytes. */
async function tempFilesHold(folder: string, count: number, size: number): Promise<boolean> {
  const names = await tempFiles(folder);
  if (names.length !== count) return false;
  const sizes = await Promise.all(names.map((n) => stat(path.join(folder, n)).then((s) => s.size, () => -1)));
  return sizes.every((s) => s === size);
}

interface RawClient {
  readonly socket: net.Socket;
  /** Everything received until the server closes. */
  readonly received: Promise<Buffer>;
}

function connect(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const received = new Promise<Buffer>((done) => {
      socket.on("data", (c) => chunks.push(c));
      socket.on("close", () => done(Buffer.concat(chunks)));
    });
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, received }));
    socket.once("error", reject);
  });
}

const putHead = (p: string, length: number) => `PUT ${p} HTTP/1.1\r\nHost: t\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

describe("put: atomic writes", () => {
  it("streams to a temp file while the body arrives; an aborted upload keeps the old file and leaves no temp file", async () => {
    const file = path.join(root, "doc.txt");
    await writeFile(file, "OLD CONTENT\n");
    const log = logWaiter();
    current = await startServer({ root, plugins: [put, log.plugin] });
    const half = 300_000;
    const client = await connect(current.port);
    client.socket.write(putHead("/doc.txt", 2 * half));
    client.socket.write(Buffer.alloc(half, "n"));
    // The first half is on disk before the rest is sent: the body is streamed, not buffered.
    await whenFolder(root, () => tempFilesHold(root, 1, half), "half the body in a temp file");
    expect(await readFile(file, "utf8")).toBe("OLD CONTENT\n");
    client.socket.destroy();
    const logged = await log.next((l) => l.info.method === "PUT");
    expect(logged.timing.completed).toBe(false);
    expect(logged.response.error?.code).toBe("PLUGD_ERR_HTTP_BODY_INCOMPLETE");
    expect(await readFile(file, "utf8")).toBe("OLD CONTENT\n");
    expect(await tempFiles(root)).toEqual([]);
  });

  it("two PUTs racing to one path, their writes interleaved, end with one whole body", async () => {
    current = await startServer({ root, plugins: [put] });
    const size = 200_000;
    const a = Buffer.alloc(size, "a");
    const b = Buffer.alloc(size, "b");
    const one = await connect(current.port);
    const two = await connect(current.port);
    one.socket.write(putHead("/race.bin", size));
    two.socket.write(putHead("/race.bin", size));
    one.socket.write(a.subarray(0, size / 2));
    two.socket.write(b.subarray(0, size / 2));
    await whenFolder(root, () => tempFilesHold(root, 2, size / 2), "both uploads half written");
    one.socket.write(a.subarray(size / 2));
    two.socket.write(b.subarray(size / 2));
    const answers = [statuses(await one.received)[0], statuses(await two.received)[0]].sort();
    // The first rename creates the file, the second replaces it.
    expect(answers).toEqual([201, 204]);
    const final = await readFile(path.join(root, "race.bin"));
    expect(final.length).toBe(size);
    expect(final.equals(a) || final.equals(b)).toBe(true);
    expect(await tempFiles(root)).toEqual([]);
  });

  it("a chunked body that passes limits.maxBodyBytes is 413; the old file stays, no temp file", async () => {
    await writeFile(path.join(root, "big.txt"), "OLD");
    current = await startServer({ root, limits: { maxBodyBytes: 1000 }, plugins: [put] });
    const chunk = "x".repeat(600);
    const res = await rawExchange(current.port, [
      "PUT /big.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
      `258\r\n${chunk}\r\n`,
      `258\r\n${chunk}\r\n0\r\n\r\n`,
    ]);
    expect(statuses(res)).toEqual([413]);
    expect(res.toString()).toMatch(/\r\nConnection: close\r\n/);
    expect(await readFile(path.join(root, "big.txt"), "utf8")).toBe("OLD");
    expect(await tempFiles(root)).toEqual([]);
  });

  it("a Content-Length over limits.maxBodyBytes is 413 before anything is written", async () => {
    current = await startServer({ root, limits: { maxBodyBytes: 1000 }, plugins: [put] });
    await writeFile(path.join(root, "..", path.basename(root) + ".up"), "y".repeat(5000));
    try {
      const res = await curl("-T", path.join(root, "..", path.basename(root) + ".up"), `${current.url}/over.txt`);
      expect(res.status).toBe(413);
      expect(await tempFiles(root)).toEqual([]);
      await expect(stat(path.join(root, "over.txt"))).rejects.toThrow(/ENOENT/);
    } finally {
      await removeRoot(path.join(root, "..", path.basename(root) + ".up"));
    }
  });
});

describe("put: real storage failures", () => {
  // A 64 KiB tmpfs: a 200 KB upload fills it for real (ENOSPC). Unmounted in afterAll.
  let disk: string;
  let parent: string;
  beforeAll(async () => {
    parent = await tempRoot("put-disk");
    disk = path.join(parent, "tiny");
    await mountTmpfs(disk, "64k");
  });
  afterAll(async () => {
    await unmount(disk);
    await removeRoot(parent);
  });

  it("a full disk is 507; the old file stays exactly as it was, the temp file is gone, space is freed", async () => {
    await writeFile(path.join(disk, "keep.txt"), "OLD BYTES\n");
    current = await startServer({ root: disk, plugins: [put] });
    const big = path.join(parent, "big.upload");
    await writeFile(big, Buffer.alloc(200_000, "z"));
    const res = await curl("-T", big, `${current.url}/keep.txt`);
    expect(res.status).toBe(507);
    expect(await readFile(path.join(disk, "keep.txt"), "utf8")).toBe("OLD BYTES\n");
    expect(await tempFiles(disk)).toEqual([]);
    // The space the failed upload took was given back: a small PUT fits again.
    const small = path.join(parent, "small.upload");
    await writeFile(small, "small\n");
    expect((await curl("-T", small, `${current.url}/keep.txt`)).status).toBe(204);
    expect(await readFile(path.join(disk, "keep.txt"), "utf8")).toBe("small\n");
  });

  it("a file-size limit (prlimit --fsize, EFBIG) is 507 too, in a server process of its own", async () => {
    await writeFile(path.join(root, "keep.txt"), "OLD BYTES\n");
    const child = spawn("prlimit", ["--fsize=1048576", process.execPath, "--import", "tsx", fileURLToPath(new URL("./server-process.ts", import.meta.url)), root], {
      cwd: fileURLToPath(new URL("../../../", import.meta.url)),
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const port = await firstLinePort(child);
      const big = path.join(parent, "two-megs.upload");
      await writeFile(big, Buffer.alloc(2 * 1048576, "z"));
      const res = await curl("-T", big, `http://127.0.0.1:${port}/keep.txt`);
      expect(res.status).toBe(507);
      expect(await readFile(path.join(root, "keep.txt"), "utf8")).toBe("OLD BYTES\n");
      expect(await tempFiles(root)).toEqual([]);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("a read-only file system is 403 (EROFS), nothing written", async () => {
    const ro = path.join(parent, "ro");
    await mountTmpfs(ro, "64k");
    try {
      await writeFile(path.join(ro, "keep.txt"), "OLD");
      await remountReadOnly(ro);
      current = await startServer({ root: ro, plugins: [put] });
      const small = path.join(parent, "small.upload");
      await writeFile(small, "small\n");
      const res = await curl("-T", small, `${current.url}/keep.txt`);
      expect(res.status).toBe(403);
      expect(await readFile(path.join(ro, "keep.txt"), "utf8")).toBe("OLD");
    } finally {
      await current?.stop();
      current = undefined;
      await unmount(ro);
    }
  });
});

function firstLinePort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (c: Buffer) => {
      text += c.toString();
      const line = text.split("\n")[0];
      if (text.includes("\n") && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`fsize server exited (${code}) before listening`)));
  });
}
