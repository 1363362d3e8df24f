// Helpers of the log tests: temp folders, goaccess's own counts of a log, and plugd run the
// way a user runs it (the CLI in a child process, with a config file).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../../..");
const TSX = import.meta.resolve("tsx");
export const SITE_MODULE = join(import.meta.dirname, "fixtures/site.ts");

const made: string[] = [];

/** A fresh folder under the system temp dir; removeTempDirs() deletes them all. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "plugd-log-"));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface GoaccessCounts {
  readonly total: number;
  readonly valid: number;
  readonly failed: number;
  /** goaccess's report on the lines it could not parse (--invalid-requests). */
  readonly invalid: string;
}

/** Runs goaccess on a log and reads its JSON report's totals. */
export function goaccess(file: string, format: "COMBINED" | "COMMON" = "COMBINED"): Promise<GoaccessCounts> {
  const invalidFile = join(tempDir(), "invalid.txt");
  const args = [file, `--log-format=${format}`, "-o", "json", "--no-global-config", "--no-progress", `--invalid-requests=${invalidFile}`];
  return new Promise((resolvePromise, reject) => {
    // goaccess exits 1 when no line is valid; its report is still the answer.
    execFile("goaccess", args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let report: { general?: { total_requests?: number; valid_requests?: number; failed_requests?: number } };
      try {
        report = JSON.parse(stdout);
      } catch {
        reject(new Error(`goaccess gave no JSON report (${err?.message ?? "exit 0"}): ${stderr}${stdout.slice(0, 500)}`));
        return;
      }
      const general = report.general ?? {};
      let invalid = "";
      try {
        invalid = readFileSync(invalidFile, "utf8");
      } catch {
        // goaccess writes the file only when it has something to say.
      }
      resolvePromise({ total: general.total_requests ?? -1, valid: general.valid_requests ?? -1, failed: general.failed_requests ?? -1, invalid });
    });
  });
}

export interface CliServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code once the process has exited (files flushed by `close`). */
  stop(): Promise<number | null>;
}

/** Writes `config` to `dir`/server.config.json and runs `plugd --config` on it, as a user would. */
export function startCli(dir: string, config: unknown): Promise<CliServer> {
  const file = join(dir, "server.config.json");
  writeFileSync(file, JSON.stringify(config, null, 2));
  // Run in `dir` (relative paths in the config resolve from there); tsx is plugd's own.
  const child = spawn(process.execPath, ["--import", TSX, join(ROOT, "core/cli.ts"), "--config", file], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolvePromise, reject) => {
    const onData = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m === null) return;
      child.stdout.off("data", onData);
      const port = Number(m[1]);
      resolvePromise({
        url: `http://127.0.0.1:${port}`,
        port,
        child,
        pid: child.pid as number,
        stdout: () => out,
        stderr: () => err,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          return exited;
        },
      });
    };
    child.stdout.on("data", onData);
    void exited.then((code) => reject(new Error(`plugd exited (${code}) before listening:\n${err}${out}`)));
  });
}

/** A server config for the CLI: the test site plus the log plugin with `log` options. */
export function siteConfig(log: Record<string, unknown>, root: string): unknown {
  return {
    servers: [{ name: "site", listen: ["127.0.0.1:0"], root, plugins: { site: { module: SITE_MODULE }, log } }],
  };
}
