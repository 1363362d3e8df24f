// Mode "cgi": one php-cgi process per request (RFC 3875). The process gets the environment
// and nothing else: no shell and no command-line arguments, ever, so no query string can
// become an option (CVE-2012-1823 "?-s" shows the source, "?-d ..." runs code; CVE-2024-4577
// is the same through Windows' best-fit mapping of a soft hyphen). It runs in a process group
// of its own (detached), so a timeout or a client that leaves kills it and whatever it
// started (kill -pgid).
import { spawn, type ChildProcess } from "node:child_process";
import { dirname } from "node:path";
import { PlugdError } from "../../core/errors.ts";
import type { Backend, RunInput, ScriptRun } from "./backend.ts";
import { findBinary } from "./binary.ts";
import { inheritedEnvironment, processEnvironment } from "./environment.ts";
import { pumpBody } from "./request-body.ts";
import { ScriptOutput } from "./script-output.ts";

const NO_ARGUMENTS: readonly string[] = Object.freeze([]);
const ignore = (): void => {};

/** Kills a process group; quiet when it is already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export class CgiBackend implements Backend {
  readonly #binaryOption: string;
  readonly #warn: (message: string) => void;
  #binary: string | undefined;
  #reason: string | undefined = "not started";
  readonly #base = inheritedEnvironment();
  readonly #running = new Set<ChildProcess>();

  constructor(binary: string, warn: (message: string) => void) {
    this.#binaryOption = binary;
    this.#warn = warn;
  }

  async start(): Promise<void> {
    const found = await findBinary(this.#binaryOption);
    if (found.ok) {
      this.#binary = found.path;
      this.#reason = undefined;
    } else {
      this.#reason = `php-cgi is not available: ${found.reason}`;
      this.#warn(`${this.#reason}. PHP requests will be answered 503 until it is installed and plugd restarted.`);
    }
  }

  async stop(): Promise<void> {
    for (const child of this.#running) killGroup(child.pid);
    this.#running.clear();
  }

  unavailable(): string | undefined {
    return this.#reason;
  }

  run(input: RunInput): Promise<ScriptRun> {
    const binary = this.#binary;
    if (binary === undefined) return Promise.reject(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", this.#reason));
    const filename = Buffer.from(input.env.get("SCRIPT_FILENAME") ?? "", "latin1").toString("utf8");
    return new Promise((resolve, reject) => {
      // RFC 3875 §7.1 (Unix): the current directory is the script's folder.
      const child = spawn(binary, NO_ARGUMENTS, {
        env: processEnvironment(input.env, this.#base),
        cwd: dirname(filename),
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
      const stdout = child.stdout as NonNullable<ChildProcess["stdout"]>;
      const stdin = child.stdin as NonNullable<ChildProcess["stdin"]>;
      const stderr = child.stderr as NonNullable<ChildProcess["stderr"]>;
      stdin.on("error", ignore); // EPIPE: the script did not read its input
      const output = new ScriptOutput({ pause: () => stdout.pause(), resume: () => stdout.resume() }, input.watchdog);
      let started = false;
      let exited = false;
      child.once("error", (err) => {
        this.#running.delete(child);
        if (!started) {
          reject(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", `cannot run ${binary}: ${err.message}`));
          return;
        }
        output.fail(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `php-cgi failed: ${err.message}`));
      });
      child.once("close", () => {
        this.#running.delete(child);
        exited = true;
        output.finish();
        if (started) input.done();
      });
      stdout.on("data", (chunk: Buffer) => output.feed(chunk));
      stderr.on("data", (chunk: Buffer) => input.stderr(chunk));
      child.once("spawn", () => {
        started = true;
        this.#running.add(child);
        // Never after the exit: the group's id could belong to another process by then.
        const kill = (): void => {
          if (!exited) killGroup(child.pid);
        };
        if (input.body === undefined) stdin.end();
        else {
          pumpBody(input.body.stream, stdin, input.watchdog).catch((err: Error) => {
            kill();
            input.bodyFailed(err);
          });
        }
        resolve({ output, kill });
      });
    });
  }
}
