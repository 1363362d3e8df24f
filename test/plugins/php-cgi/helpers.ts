// Shared by the php-cgi tests: a web root made from test/fixtures/php, a php-fpm of the test's
// own (its config in a temp folder), plugd with get + php-cgi in each mode, and real clients
// (curl, raw sockets) whose answers are parsed.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import get from "../../../plugins/get/index.ts";
import log from "../../../plugins/log/index.ts";
import php from "../../../plugins/php-cgi/index.ts";
import { startServer, type PluginUse, type TestServer } from "../../helpers/server.ts";

export const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures/php");

export interface Site {
  /** Temp folder: root/ (the web root), scratch/ (pid files and the like), logs/. */
  readonly base: string;
  readonly root: string;
  readonly scratch: string;
  readonly logs: string;
  /** A fresh file name in scratch/. */
  scratchFile(name: string): string;
  cleanup(): void;
}

/** A web root holding a copy of test/fixtures/php. */
export function makeSite(): Site {
  const base = mkdtempSync(path.join(tmpdir(), "plugd-php-"));
  const root = path.join(base, "root");
  const scratch = path.join(base, "scratch");
  const logs = path.join(base, "logs");
  cpSync(FIXTURES, root, { recursive: true });
  mkdirSync(scratch);
  let n = 0;
  return {
    base,
    root,
    scratch,
    logs,
    scratchFile: (name) => path.join(scratch, `${++n}-${name}`),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

// --- php-fpm ---------------------------------------------------------------------------------

export interface Fpm {
  readonly socket: string;
  readonly pid: number;
  readonly log: string;
  stop(): Promise<void>;
}

/**
 * php-fpm (Debian php-fpm8.2) in the foreground with its own config in `dir`: a unix socket,
 * pm=static with `children` workers. As root, fpm needs -R and a user.
 */
export async function startFpm(dir: string, settings: { children?: number; maxRequests?: number; terminateSeconds?: number } = {}): Promise<Fpm> {
  mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, "fpm.sock");
  const logFile = path.join(dir, "fpm.log");
  const root = process.getuid?.() === 0;
  const conf = [
    "[global]",
    `pid = ${path.join(dir, "fpm.pid")}`,
    `error_log = ${logFile}`,
    "daemonize = no",
    "",
    "[www]",
    ...(root ? ["user = root", "group = root"] : []),
    `listen = ${socket}`,
    "pm = static",
    `pm.max_children = ${settings.children ?? 4}`,
    `pm.max_requests = ${settings.maxRequests ?? 0}`,
    // fpm's own bound on a script plugd gave up on (plugd only closes the connection).
    `request_terminate_timeout = ${settings.terminateSeconds ?? 5}s`,
    "catch_workers_output = yes",
    "clear_env = yes",
    "",
  ].join("\n");
  const confFile = path.join(dir, "php-fpm.conf");
  writeFileSync(confFile, conf);
  const child = spawn("php-fpm8.2", ["-F", ...(root ? ["-R"] : []), "-y", confFile, "-p", dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitFor(async () => (child.exitCode === null ? canConnect(socket) : Promise.reject(new Error(`php-fpm exited: ${stderr}`))), 15_000, "php-fpm to listen");
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    socket,
    pid: child.pid as number,
    log: logFile,
    stop: async () => {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false);
    const s = net.connect({ path: socketPath });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

// --- servers ---------------------------------------------------------------------------------

export type ModeName = "cgi" | "fastcgi-own-pool" | "fastcgi-php-fpm";
export const MODE_NAMES: readonly ModeName[] = ["cgi", "fastcgi-own-pool", "fastcgi-php-fpm"];

/** The php-cgi options of a mode (fpm needs its socket). */
export function modeOptions(mode: ModeName, fpm?: Fpm): Record<string, unknown> {
  if (mode === "cgi") return { mode: "cgi" };
  if (mode === "fastcgi-own-pool") return { mode: "fastcgi" };
  if (fpm === undefined) throw new Error("fastcgi-php-fpm needs php-fpm");
  return { mode: "fastcgi", address: fpm.socket };
}

/** plugd with the log plugin (error log in site.logs), php-cgi with `options`, then get. */
export function phpServer(site: Site, options: Record<string, unknown>, extra: PluginUse[] = [], limits: Record<string, number> = {}): Promise<TestServer> {
  return startServer({
    root: site.root,
    limits,
    plugins: [[log, { dir: site.logs, access: "access.log", error: "error.log" }], ...extra, [php, options], get],
  });
}

/** The error log's text so far. */
export function errorLogText(site: Site): string {
  try {
    return readFileSync(path.join(site.logs, "error.log"), "utf8");
  } catch {
    return "";
  }
}

// --- clients ---------------------------------------------------------------------------------

export interface Answer {
  readonly status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  readonly headers: Record<string, string>;
  /** Every value of each field, in order. */
  readonly all: Record<string, string[]>;
  readonly body: Buffer;
  readonly head: string;
}

/** Splits one response (curl -i, raw socket) into its parts; interim 1xx heads are skipped. */
export function parseAnswer(raw: Buffer): Answer {
  let start = 0;
  for (;;) {
    const end = raw.indexOf("\r\n\r\n", start);
    if (end === -1) throw new Error(`no complete head in ${JSON.stringify(raw.subarray(0, 300).toString("latin1"))}`);
    const head = raw.subarray(start, end).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    if (status >= 100 && status < 200) {
      start = end + 4;
      continue;
    }
    const headers: Record<string, string> = {};
    const all: Record<string, string[]> = {};
    for (const line of head.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      (all[name] ??= []).push(value);
    }
    return { status, headers, all, body: raw.subarray(end + 4), head };
  }
}

/** Runs curl with `-sS -i` and the given arguments; the answer parsed. */
export function curl(args: string[], timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "-i", "--max-time", String(Math.ceil(timeoutMs / 1000)), ...args], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${args.join(" ")}: ${err.message} ${stderr.toString()}`));
      try {
        resolve(parseAnswer(stdout));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** JSON body of an answer. */
export function json<T = Record<string, unknown>>(answer: Answer): T {
  try {
    return JSON.parse(answer.body.toString("utf8")) as T;
  } catch {
    throw new Error(`not JSON (status ${answer.status}): ${answer.body.subarray(0, 500).toString()}`);
  }
}

/** Polls `check` every 20 ms until it gives a truthy value; fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process has ended (gone, or a zombie waiting to be reaped). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ...": the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/** The pid a fixture wrote to `file`, once it has. */
export async function pidFrom(file: string, timeoutMs = 10_000): Promise<number> {
  return waitFor(
    () => {
      try {
        const n = Number(readFileSync(file, "utf8"));
        return n > 0 ? n : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
    `a pid in ${file}`,
  );
}

/** Pids of running (not zombie) processes whose command line `match` accepts. */
export function processesRunning(match: (argv: string[]) => boolean): number[] {
  const out: number[] = [];
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
      if (argv.length > 0 && match(argv) && !processGone(Number(entry))) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
