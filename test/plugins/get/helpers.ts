// Shared by the get plugin's tests: temporary web roots, a get server on one, and real
// clients (curl, raw sockets) whose answers are parsed into status, headers and body.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import get from "../../../plugins/get/index.ts";
import { rawExchange, startServer, type PluginUse, type TestServer } from "../../helpers/server.ts";

export interface Site {
  /** The temporary folder holding the root (and anything "outside" it). */
  readonly base: string;
  /** base/root: the web root. */
  readonly root: string;
  /** Path of a root-relative name on disk. */
  file(name: string): string;
  cleanup(): void;
}

/** A web root with `files` (name -> content; a name ending in "/" is a folder; "->target" makes a symlink). */
export function makeSite(files: Record<string, string | Buffer> = {}): Site {
  const base = mkdtempSync(path.join(tmpdir(), "plugd-get-"));
  const root = path.join(base, "root");
  mkdirSync(root);
  const site: Site = {
    base,
    root,
    file: (name) => path.join(root, name),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
  for (const [name, content] of Object.entries(files)) {
    const target = site.file(name);
    if (name.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof content === "string" && content.startsWith("->")) symlinkSync(content.slice(2), target);
    else writeFileSync(target, content);
  }
  return site;
}

/** A server with the get plugin (and `extra` plugins before it) on the site's root. */
export function serveSite(site: Site, options: Record<string, unknown> = {}, extra: PluginUse[] = []): Promise<TestServer> {
  return startServer({ root: site.root, plugins: [...extra, [get, options]] });
}

export interface Answer {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The head as received. */
  readonly head: string;
}

/** Splits one HTTP/1.1 response (as curl -i or a raw socket gives it) into its parts. */
export function parseAnswer(raw: Buffer): Answer {
  const end = raw.indexOf("\r\n\r\n");
  if (end === -1) throw new Error(`no complete head in ${JSON.stringify(raw.subarray(0, 200).toString("latin1"))}`);
  const head = raw.subarray(0, end).toString("latin1");
  const [statusLine, ...lines] = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "");
  if (m === null) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(m[1]), headers, body: raw.subarray(end + 4), head };
}

/** Runs curl; resolves with its stdout (bytes) and stderr. Fails when curl itself fails. */
export function runCurl(args: readonly string[]): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["--silent", "--show-error", "--max-time", "15", ...args], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(" ")} failed: ${err.message}\n${stderr.toString()}`));
      else resolve({ stdout, stderr: stderr.toString() });
    });
  });
}

/** curl -i: the response parsed. `args` are extra curl options; the URL comes last. */
export async function curl(url: string, ...args: string[]): Promise<Answer> {
  const { stdout } = await runCurl(["--include", ...args, url]);
  return parseAnswer(stdout);
}

/** A raw request (one per connection) and its parsed answer. */
export async function raw(port: number, target: string, fields: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  let head = `${method} ${target} HTTP/1.1\r\nHost: test\r\n`;
  for (const [name, value] of Object.entries(fields)) head += `${name}: ${value}\r\n`;
  head += "Connection: close\r\n\r\n";
  return parseAnswer(await rawExchange(port, head));
}

/** Runs a command; resolves with exit code, stdout and stderr (never rejects on exit code). */
export function run(command: string, args: readonly string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A deterministic pseudo-random buffer, so a wrong byte range cannot look right by chance. */
export function patterned(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function writeFile(site: Site, name: string, content: string | Buffer): void {
  writeFileSync(site.file(name), content);
}
