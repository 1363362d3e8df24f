// Shared pieces of the connect tests: local targets (echo, TLS, HTTP origin, a dead port, a
// listener that never accepts), a raw CONNECT client, curl, and a `log` recorder.
//
// Every target is on 127.0.0.1, and every name the tests make the proxy resolve is answered
// locally (/etc/hosts, or refused by the resolver before any query): no test sends a packet to
// a non-loopback address.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { definePlugin } from "../../../core/define-plugin.ts";
import type { Timing } from "../../../core/http/lifecycle-types.ts";
import type { RequestInfo } from "../../../core/http/request.ts";
import type { Response } from "../../../core/http/response.ts";

const run = promisify(execFile);

// A tripwire, not a mock: every TCP connection made in a test process that uses these helpers
// (the server under test runs in it too) must go to this host. If a bug let the proxy dial a
// refused address (169.254.169.254, 10.1.2.3, NAT64 ...), the connect throws, loudly, before
// a packet leaves, instead of the test quietly sending traffic off the machine.
const LOCAL_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3}|0\.0\.0\.0|::)$/i;
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]): net.Socket {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  let host: string | undefined;
  if (typeof first === "object" && first !== null) {
    const o = first as { host?: string; path?: string };
    host = o.path !== undefined ? undefined : (o.host ?? "localhost");
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    host = typeof args[1] === "string" ? args[1] : "localhost";
  }
  if (host !== undefined && !LOCAL_HOSTS.test(host)) throw new Error(`test tripwire: a connection to ${host}, which is not this host`);
  return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

export interface Listening {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function tracked(server: net.Server): Set<net.Socket> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  return sockets;
}

/** Echoes every byte back; `untilClosed(n)` resolves once n of its connections have closed. */
export async function echoServer(): Promise<Listening & { readonly connections: number; untilClosed(n: number): Promise<void> }> {
  let connections = 0;
  let closedCount = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    connections++;
    socket.pipe(socket);
    socket.on("close", () => {
      closedCount++;
      for (const w of waiters.filter((w) => closedCount >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  const sockets = tracked(server);
  const port = await listen(server);
  return {
    port,
    get connections() {
      return connections;
    },
    untilClosed: (n) => new Promise<void>((resolve) => (closedCount >= n ? resolve() : waiters.push({ n, resolve }))),
    close: closer(server, sockets),
  };
}

/**
 * Reads until the client half-closes, then answers "got N bytes" and closes. `banner`: sends
 * it and half-closes its own side first, then still reads. Each connection's input is kept.
 */
export async function halfCloseServer(banner?: string): Promise<Listening & { readonly inputs: Promise<Buffer>[] }> {
  const inputs: Promise<Buffer>[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    if (banner !== undefined) socket.end(banner);
    inputs.push(
      new Promise<Buffer>((resolve) => {
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.on("end", () => {
          const all = Buffer.concat(chunks);
          if (banner === undefined) socket.end(`got ${all.length} bytes`);
          resolve(all);
        });
      }),
    );
  });
  const sockets = tracked(server);
  const port = await listen(server);
  return { port, inputs, close: closer(server, sockets) };
}

/** Resets (RST) every connection as soon as it receives a byte. */
export async function resetServer(): Promise<Listening> {
  const server = net.createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
  const sockets = tracked(server);
  const port = await listen(server);
  return { port, close: closer(server, sockets) };
}

/** A port nothing listens on: listened on, then closed (a connection to it is refused). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A listener whose accept queue is full, so a new connection's SYN is dropped and connect()
 * hangs (for 504): a child process listens with backlog 1 and stops itself (SIGSTOP) before
 * it can accept anything; two connections fill the queue (Linux queues backlog + 1).
 */
export async function stalledListener(): Promise<Listening> {
  const script = `const s = require("node:net").createServer().listen({ host: "127.0.0.1", port: 0, backlog: 1 }, () => { process.stdout.write(s.address().port + "\\n"); process.kill(process.pid, "SIGSTOP"); });`;
  const child: ChildProcess = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
  });
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    fillers.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once("connect", resolve);
      s.once("error", reject);
    });
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface TempDir {
  readonly dir: string;
  remove(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), "plugd-connect-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A self-signed certificate for 127.0.0.1, made by openssl now. */
export async function certificate(dir: string): Promise<{ key: string; cert: string; certFile: string }> {
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

/** node:https on 127.0.0.1 answering "secret over TLS: PATH". */
export async function tlsServer(key: string, cert: string): Promise<Listening> {
  const server = https.createServer({ key, cert }, (req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end(`secret over TLS: ${req.url}\n`);
  });
  const sockets = tracked(server);
  const port = await listen(server);
  return { port, close: closer(server, sockets) };
}

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

/**
 * A plain HTTP origin: answers with JSON of what it received, and with response fields the
 * proxy must drop (Connection and what it names, Keep-Alive, Proxy-Authenticate, Upgrade).
 */
export async function httpOrigin(): Promise<Listening & { readonly seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      seen.push(entry);
      const body = JSON.stringify({ method: entry.method, url: entry.url, bytes: entry.body.length });
      res.writeHead(200, [
        ["content-type", "application/json"],
        ["x-origin", "yes"],
        ["connection", "x-secret-hop"],
        ["x-secret-hop", "must not pass"],
        ["keep-alive", "timeout=5"],
        ["proxy-authenticate", "Basic realm=origin"],
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["content-length", String(Buffer.byteLength(body))],
      ].flat());
      // HEAD: the Content-Length of what a GET would get, and no body (RFC 9110 §9.3.2).
      res.end(req.method === "HEAD" ? undefined : body);
    });
  });
  server.keepAliveTimeout = 1;
  const sockets = tracked(server);
  const port = await listen(server);
  return { port, seen, close: closer(server, sockets) };
}

export interface Tunnel {
  readonly socket: net.Socket;
  /** The proxy's response head, without the final CRLF CRLF. */
  readonly head: string;
  readonly status: number;
  /** Bytes that came after the head (in the same read). */
  readonly rest: Buffer;
}

/** Sends `CONNECT target` (plus `early` in the same write) and resolves once the response head is in. */
export function openTunnel(port: number, target: string, early: Buffer = Buffer.alloc(0), options: { headers?: string; localAddress?: string } = {}): Promise<Tunnel> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true, ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}) });
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.off("error", reject);
      socket.pause();
      const head = got.subarray(0, end).toString("latin1");
      resolve({ socket, head, status: Number(head.slice(9, 12)), rest: got.subarray(end + 4) });
    };
    socket.on("data", onData);
    socket.on("error", reject);
    const request = Buffer.from(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${options.headers ?? ""}\r\n`, "latin1");
    socket.write(Buffer.concat([request, early]));
  });
}

/** Reads from a tunnel's socket until `n` bytes (including `rest`) are in. */
export function readBytes(tunnel: Tunnel, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks = [tunnel.rest];
    let have = tunnel.rest.length;
    if (have >= n) return resolve(tunnel.rest);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= n) {
        tunnel.socket.off("data", onData);
        tunnel.socket.pause();
        resolve(Buffer.concat(chunks));
      }
    };
    tunnel.socket.on("data", onData);
    tunnel.socket.once("close", () => reject(new Error(`tunnel closed after ${have} of ${n} bytes`)));
    tunnel.socket.resume();
  });
}

/** Reads everything until the tunnel's socket ends (the far side half-closed). */
export function readToEnd(tunnel: Tunnel): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks = [tunnel.rest];
    tunnel.socket.on("data", (c: Buffer) => chunks.push(c));
    tunnel.socket.once("end", () => resolve(Buffer.concat(chunks)));
    tunnel.socket.resume();
  });
}

/** Resolves when the socket has closed; ends our side once the far side has (the sockets are allowHalfOpen). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once("close", () => resolve());
    if (socket.readableEnded) socket.end();
    else socket.once("end", () => socket.end());
    socket.resume();
  });
}

/** The status of a CONNECT that the proxy refuses (or accepts), and its head. */
export async function connectStatus(port: number, target: string, headers = ""): Promise<{ status: number; head: string }> {
  const t = await openTunnel(port, target, undefined, { headers });
  t.socket.destroy();
  return { status: t.status, head: t.head };
}

/** Environment without proxy variables, so only `-x` / `--noproxy ""` decide. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/proxy/i.test(k)) env[k] = v;
  return env;
}

export interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs curl with `args` (never throws on a non-zero exit: the code is in the result). */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--noproxy", "", "--max-time", "20", ...args], { env: cleanEnv(), maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs Apache's htpasswd -B -b [-c] (bcrypt, cost 4 to keep the tests quick). */
export async function htpasswd(file: string, user: string, password: string, create: boolean): Promise<void> {
  await run("htpasswd", ["-B", "-C", "4", "-b", ...(create ? ["-c"] : []), file, user, password]);
}

export interface LogRecord {
  readonly info: RequestInfo;
  readonly response: Response;
  readonly timing: Timing;
}

/** A plugin that keeps what the `log` hook sees; `next()` resolves with the next record. */
export function recorder(): { plugin: ReturnType<typeof definePlugin>; records: LogRecord[]; next(): Promise<LogRecord> } {
  const records: LogRecord[] = [];
  const waiting: ((r: LogRecord) => void)[] = [];
  const plugin = definePlugin({
    name: "recorder",
    apply(server) {
      server.hooks.log.tap("recorder", (info, response, timing) => {
        const record = { info, response, timing };
        const w = waiting.shift();
        if (w !== undefined) w(record);
        else records.push(record);
      });
    },
  });
  return {
    plugin,
    records,
    next: () => new Promise<LogRecord>((resolve) => {
      const r = records.shift();
      if (r !== undefined) resolve(r);
      else waiting.push(resolve);
    }),
  };
}
