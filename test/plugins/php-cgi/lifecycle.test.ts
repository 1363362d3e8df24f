// A script's life in all three modes: a 10 MiB output streamed with backpressure (plugd holds
// little of it while the client does not read), a silent script stopped at timeoutMs (504,
// and in cgi and own-pool modes its process is gone), a client that leaves stops its script,
// stderr lands in the error log.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayState } from "../../../plugins/php-cgi/index.ts";
import type { TestServer } from "../../helpers/server.ts";
import { curl, errorLogText, makeSite, MODE_NAMES, modeOptions, parseAnswer, phpServer, pidFrom, processGone, startFpm, waitFor, type Fpm, type Site } from "./helpers.ts";

const TIMEOUT_MS = 1500;

const collect: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();

/**
 * Buffer memory held now: after full collections, with turns of the event loop between them
 * so V8 has released the backing stores of what it collected (it frees them lazily).
 */
async function heldBuffers(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().arrayBuffers;
}
const TEN_MIB = 10 * 1024 * 1024;

/** What big.php sends: 160 times the same 64 KiB. */
function bigBody(): Buffer {
  return Buffer.alloc(TEN_MIB, "0123456789abcdef");
}

describe.each(MODE_NAMES)("php-cgi lifecycle (%s)", (mode) => {
  let site: Site;
  let fpm: Fpm | undefined;
  let server: TestServer;

  beforeAll(async () => {
    site = makeSite();
    // php-fpm stops a script plugd gave up on itself (request_terminate_timeout): plugd only drops the connection.
    if (mode === "fastcgi-php-fpm") fpm = await startFpm(path.join(site.base, "fpm"), { terminateSeconds: 3 });
    server = await phpServer(site, { ...modeOptions(mode, fpm), timeoutMs: TIMEOUT_MS });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    await fpm?.stop();
    site?.cleanup();
  });

  it("10 MiB streams with backpressure: while the client reads nothing, the script waits and plugd holds little", async () => {
    const gateway = gatewayState(server.server)?.gateway;
    expect(gateway).toBeDefined();
    const progress = site.scratchFile("progress");
    const before = await heldBuffers();
    const socket = net.connect(server.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let received = 0;
    const ended = new Promise<void>((resolve, reject) => {
      socket.on("end", () => resolve());
      socket.on("error", reject);
    });
    let holding = true;
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      // Stop reading at the first bytes: from now on the client takes nothing.
      if (holding) socket.pause();
    });
    socket.write(`GET /big.php?progress=${encodeURIComponent(progress)} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
    await waitFor(() => received > 0, 10_000, "the first bytes");
    // The client stopped reading: the kernel's buffers fill, then the core stops reading our
    // body, then the gateway stops reading the script: its output is paused.
    const run = await waitFor(() => [...gateway!.running].find((r) => r.output?.paused === true), 20_000, "the script's output to be paused");
    expect(run.scriptName).toBe("/big.php");
    // What plugd itself holds of the body: the stream's buffer, not megabytes.
    expect(run.output!.buffered).toBeLessThanOrEqual(256 * 1024);
    // Memory held in Buffers (after a full collection, so garbage does not count; RSS would
    // count freed memory malloc keeps): far below the megabytes the script already wrote.
    const held = (await heldBuffers()) - before;
    expect(held).toBeLessThan(2 * 1024 * 1024);
    // The script could not finish: it is blocked writing (what it wrote sits in the kernel's buffers).
    const written = await waitFor(() => readNumber(progress), 5000, "the script's progress");
    expect(written).toBeLessThan(TEN_MIB);
    expect(written).toBeGreaterThan(held);
    holding = false;
    socket.resume();
    await ended;
    socket.destroy();
    const answer = parseAnswer(Buffer.concat(chunks));
    chunks.length = 0;
    expect(answer.status).toBe(200);
    expect(answer.headers["transfer-encoding"]).toBe("chunked");
    const body = dechunk(answer.body);
    expect(body.length).toBe(TEN_MIB);
    expect(createHash("sha256").update(body).digest("hex")).toBe(createHash("sha256").update(bigBody()).digest("hex"));
    await waitFor(() => readNumber(progress) === TEN_MIB, 10_000, "the script to finish");
  }, 60_000);

  it("a silent script: 504 at timeoutMs, and (cgi, own pool) its process is gone", async () => {
    const pidfile = site.scratchFile("slow.pid");
    const started = Date.now();
    const a = await curl([`${server.url}/slow.php?pidfile=${encodeURIComponent(pidfile)}`]);
    expect(a.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    const pid = await pidFrom(pidfile);
    if (mode === "fastcgi-php-fpm") {
      // php-fpm's worker is php-fpm's: its request_terminate_timeout (3 s) ends the script.
      await waitFor(() => readFileSync(fpm!.log, "utf8").includes("execution timed out"), 10_000, "php-fpm to terminate the script");
    } else {
      await waitFor(() => processGone(pid), 5000, `php-cgi ${pid} to be gone`);
    }
    // The next request is served.
    const b = await curl([`${server.url}/hello.php`]);
    expect(b.body.toString()).toBe("hello world\n");
    await waitFor(() => /PLUGD_ERR_PHP_TIMEOUT/.test(errorLogText(site)), 5000, "the 504 in the error log");
  }, 30_000);

  // php-fpm's workers are php-fpm's to kill: plugd drops the connection (test above).
  if (mode !== "fastcgi-php-fpm") {
    it("a timeout kills the script's whole process group: what it started dies with it", async () => {
      const pidfile = site.scratchFile("group.pid");
      const a = await curl([`${server.url}/slow-group.php?pidfile=${encodeURIComponent(pidfile)}`]);
      expect(a.status).toBe(504);
      const pids = await waitFor(() => {
        try {
          const found = readFileSync(pidfile, "utf8").split(" ").map(Number);
          return found.length === 2 && found.every((n) => n > 0) ? found : undefined;
        } catch {
          return undefined;
        }
      }, 5000, "the two pids");
      for (const pid of pids) await waitFor(() => processGone(pid), 5000, `process ${pid} to be gone`);
    }, 30_000);
  }

  it("a client that goes away stops its script", async () => {
    const pidfile = site.scratchFile("forever.pid");
    const abortfile = site.scratchFile("forever.abort");
    const socket = net.connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    let head = "";
    const gotHead = new Promise<void>((resolve) =>
      socket.on("data", (c: Buffer) => {
        head += c.toString("latin1");
        if (head.includes("\r\n\r\n")) resolve();
      }),
    );
    socket.write(`GET /forever.php?pidfile=${encodeURIComponent(pidfile)}&abortfile=${encodeURIComponent(abortfile)} HTTP/1.1\r\nHost: t\r\n\r\n`);
    await gotHead;
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    const pid = await pidFrom(pidfile);
    socket.destroy();
    if (mode === "fastcgi-php-fpm") {
      // The connection to php-fpm is dropped; PHP notices at its next write and aborts.
      await waitFor(() => existsSync(abortfile) && readFileSync(abortfile, "utf8"), 10_000, "the script to be aborted");
      expect(readFileSync(abortfile, "utf8")).toBe("aborted");
    } else {
      await waitFor(() => processGone(pid), 5000, `php-cgi ${pid} to be killed`);
    }
    const b = await curl([`${server.url}/hello.php`]);
    expect(b.body.toString()).toBe("hello world\n");
  }, 30_000);

  it("the script's stderr goes to the error log, with the request id and script", async () => {
    const tag = `t${Date.now()}`;
    const a = await curl([`${server.url}/stderr.php?tag=${tag}`]);
    expect(a.body.toString()).toBe("logged\n");
    const line = await waitFor(() => errorLogText(site).split("\n").find((l) => l.includes(`STDERR-MARKER-${tag}`)), 5000, "the stderr line in the error log");
    expect(line).toContain("script=/stderr.php");
    expect(line).toMatch(/ id=\S+/);
  });
});

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, "utf8"));
  } catch {
    return 0;
  }
}

/** The content of a chunked body. */
function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = bytes.indexOf("\r\n", at);
    const size = parseInt(bytes.subarray(at, eol).toString("latin1"), 16);
    if (size === 0) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
