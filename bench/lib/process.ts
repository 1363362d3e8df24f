// Child processes for the bench: servers pinned to core 0, load generators to core 1, file
// descriptor limits, readiness, RSS, and cleanup (every child is stopped when the bench exits).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep } from "./stats.ts";

export const SERVER_CORE = 0;
export const LOADER_CORE = 1;

const commandCache = new Map<string, boolean>();

export function hasCommand(command: string): boolean {
  let found = commandCache.get(command);
  if (found === undefined) {
    found = spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
    commandCache.set(command, found);
  }
  return found;
}

/** Whether pinning works here: taskset installed and at least two CPUs. */
export function canPin(): boolean {
  return hasCommand("taskset") && cpuCount() >= 2;
}

export function cpuCount(): number {
  const r = spawnSync("nproc", [], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** `argv` prefixed with `taskset -c CORE` when pinning works (taskset execs: the PID stays the command's). */
export function pinned(core: number, argv: string[]): string[] {
  return canPin() ? ["taskset", "-c", String(core), ...argv] : argv;
}

/** Soft and hard RLIMIT_NOFILE of a process, from /proc/PID/limits. */
export function nofileLimits(pid: number | "self" = "self"): { soft: number; hard: number } {
  const text = readFileSync(`/proc/${pid}/limits`, "utf8");
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  const num = (s: string | undefined): number => (s === undefined || s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/**
 * Makes sure this process may open `need` descriptors, raising its soft limit with prlimit(1)
 * when needed. Returns an error message when that is impossible (the hard limit is lower).
 */
export function ensureOwnNofile(need: number): string | undefined {
  const { soft, hard } = nofileLimits();
  if (soft >= need) return undefined;
  if (hard < need) return `the bench needs ${need} open files but the hard limit is ${hard}: raise it (ulimit -Hn / limits.conf) or use --memory-connections`;
  if (!hasCommand("prlimit")) return `the bench needs ${need} open files (soft limit ${soft}); run \`ulimit -n ${need}\` first or install prlimit (util-linux)`;
  const r = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${need}:${hard}`], { encoding: "utf8" });
  if (r.status !== 0) return `prlimit could not raise this process's open-file limit to ${need}: ${r.stderr.trim()}`;
  return undefined;
}

/** `argv` run with at least `need` open files allowed (prlimit prefix when the soft limit is lower). */
export function withNofile(need: number, argv: string[]): string[] {
  const { soft, hard } = nofileLimits();
  if (soft >= need) return argv;
  if (hard < need) throw new Error(`need ${need} open files for a server but the hard limit is ${hard}`);
  if (!hasCommand("prlimit")) throw new Error(`need ${need} open files for a server (soft limit ${soft}); run \`ulimit -n ${need}\` first`);
  return ["prlimit", `--nofile=${need}:${hard}`, ...argv];
}

const children = new Set<ChildProcess>();

/** PIDs of the bench's live children (servers, load generator). */
export function trackedPids(): number[] {
  return [...children].filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid as number);
}

const tempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed when the bench exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  readonly exited: Promise<string>;
}

export function spawnTracked(argv: string[], cwd: string): Spawned {
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    if (out.length > 1_000_000) out = out.slice(-500_000);
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    err += s;
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const exited = new Promise<string>((resolve) => {
    child.once("error", (e) => {
      children.delete(child);
      err += `\n${e.message}`;
      resolve(`spawn error: ${e.message}`);
    });
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve(signal !== null ? `signal ${signal}` : `exit ${code}`);
    });
  });
  return { child, pid: child.pid ?? -1, stdout: () => out, stderr: () => err, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(p: Spawned, graceMs = 5000): Promise<string> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  const how = await p.exited;
  clearTimeout(timer);
  return how;
}

/** Resident set size of a process in KiB (VmRSS from /proc/PID/status). */
export function rssKiB(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** Waits until `test` returns a value (not undefined), or throws after `timeoutMs`. */
export async function waitFor<T>(test: () => T | undefined, timeoutMs: number, what: string, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = test();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Last `lines` lines of a text, indented, for error reports. */
export function tail(text: string, lines = 15): string {
  const all = text.trimEnd().split("\n");
  return all.slice(-lines).map((l) => `    | ${l}`).join("\n");
}
