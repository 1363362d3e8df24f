// plugd's own FastCGI pool: `children` php-cgi processes, each started as `php-cgi -b <socket>`
// on a unix socket of its own in a private folder (mode 0700: no other local user can connect
// and hand PHP a SCRIPT_FILENAME of their choosing, as anyone could on a 127.0.0.1 port).
// Each child is one single-process php-cgi (PHP_FCGI_CHILDREN=0) with one kept connection, so
// plugd knows which process runs which script: a timeout or a client that leaves kills exactly
// that child (its process group), and a child that dies, for any reason, is started again
// (after a growing pause when it keeps dying at once). Started in `listening`, stopped in `close`.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PlugdError } from "../../../core/errors.ts";
import { findBinary } from "../binary.ts";
import type { Cancel } from "../cancel.ts";
import { killGroup } from "../cgi-backend.ts";
import { inheritedEnvironment } from "../environment.ts";
import { StderrLines } from "../stderr.ts";
import { FcgiConnection } from "./connection.ts";
import type { FcgiPool, Lease } from "./pool.ts";

/** How long start() waits for the children to listen, and a child to accept its connection. */
export const START_TIMEOUT_MS = 10_000;
/** A child that dies sooner than this after it started counts as failing (backoff grows). */
const QUICK_DEATH_MS = 2000;
const MAX_RESTART_DELAY_MS = 5000;
const STOP_GRACE_MS = 2000;

type ChildState = "starting" | "idle" | "busy" | "dead";

interface Child {
  readonly index: number;
  generation: number;
  proc: ChildProcess | undefined;
  socketPath: string;
  connection: FcgiConnection | undefined;
  /** The lease of `connection`, made once per connection. */
  lease: ChildLease | undefined;
  state: ChildState;
  startedAt: number;
  failures: number;
  /** We killed it (timeout, client gone): its death is no news. */
  killed: boolean;
  restart: NodeJS.Timeout | undefined;
  /** Came up (or gave up) once: start() waits for every child to do so. */
  settled: boolean;
}

interface Waiter {
  readonly cancel: Cancel;
  resolve(lease: Lease): void;
  reject(err: Error): void;
}

export interface OwnPoolSettings {
  readonly binary: string;
  readonly children: number;
  /** The error log. */
  log(level: "error" | "warn" | "notice", message: string): void;
}

export class OwnPool implements FcgiPool {
  readonly #settings: OwnPoolSettings;
  readonly #children: Child[] = [];
  readonly #waiters: Waiter[] = [];
  #binary = "";
  #dir = "";
  #state: "new" | "running" | "stopped" = "new";
  #reason: string | undefined = "the php-cgi -b pool has not started";
  #onSettled: (() => void) | undefined;

  constructor(settings: OwnPoolSettings) {
    this.#settings = settings;
  }

  get description(): string {
    return `pool of ${this.#settings.children} php-cgi -b children`;
  }

  /** The children's process ids (running ones), for tests and diagnostics. */
  get pids(): number[] {
    return this.#children.flatMap((c) => (c.proc?.pid !== undefined && c.state !== "dead" ? [c.proc.pid] : []));
  }

  /** How many children have a connection ready or in use. */
  get ready(): number {
    return this.#children.filter((c) => c.state === "idle" || c.state === "busy").length;
  }

  async start(): Promise<void> {
    const found = await findBinary(this.#settings.binary);
    if (!found.ok) {
      this.#reason = `php-cgi is not available: ${found.reason}`;
      this.#settings.log("warn", `${this.#reason}. PHP requests will be answered 503 until it is installed and plugd restarted.`);
      return;
    }
    this.#binary = found.path;
    this.#dir = await mkdtemp(join(tmpdir(), "plugd-php-pool-"));
    this.#state = "running";
    this.#reason = undefined;
    for (let index = 0; index < this.#settings.children; index++) {
      const child: Child = { index, generation: 0, proc: undefined, socketPath: "", connection: undefined, lease: undefined, state: "dead", startedAt: 0, failures: 0, killed: false, restart: undefined, settled: false };
      this.#children.push(child);
      this.#spawn(child);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, START_TIMEOUT_MS);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#onSettled = () => {
        if (this.#children.every((c) => c.settled)) done();
      };
      this.#onSettled();
    });
    this.#onSettled = undefined;
    if (this.ready === 0) this.#settings.log("error", `none of the ${this.#settings.children} php-cgi -b children came up; still trying`);
  }

  async stop(): Promise<void> {
    if (this.#state !== "running") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopped";
    this.#reason = "the server is stopping";
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cancel.unlisten();
      waiter.reject(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", this.#reason));
    }
    const exits: Promise<void>[] = [];
    for (const child of this.#children) {
      if (child.restart !== undefined) clearTimeout(child.restart);
      child.connection?.destroy();
      const proc = child.proc;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) continue;
      exits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), STOP_GRACE_MS);
          proc.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          killGroup(proc.pid, "SIGTERM");
        }),
      );
    }
    await Promise.all(exits);
    await rm(this.#dir, { recursive: true, force: true });
  }

  unavailable(): string | undefined {
    return this.#reason;
  }

  tryAcquire(): Lease | undefined {
    if (this.#state !== "running") return undefined;
    const child = this.#idleChild();
    return child === undefined ? undefined : this.#lend(child);
  }

  acquire(cancel: Cancel): Promise<Lease> {
    if (this.#state !== "running") return Promise.reject(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", this.#reason));
    const child = this.#idleChild();
    if (child !== undefined) return Promise.resolve(this.#lend(child));
    if (cancel.reason !== undefined) return Promise.reject(cancel.reason);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { cancel, resolve, reject };
      this.#waiters.push(waiter);
      cancel.listen((reason) => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(reason);
      });
    });
  }

  #idleChild(): Child | undefined {
    for (const child of this.#children) if (child.state === "idle") return child;
    return undefined;
  }

  release(lease: Lease, reusable: boolean): void {
    const child = (lease as ChildLease).child;
    if (child.connection !== lease.connection || child.state !== "busy") return;
    if (reusable && !lease.connection.closed && this.#state === "running") {
      lease.connection.resume();
      child.state = "idle";
      this.#serveWaiter(child);
      return;
    }
    // The connection is in an unknown state (a request cut short): start this child afresh.
    this.#kill(child);
  }

  #lend(child: Child): Lease {
    child.state = "busy";
    return child.lease as ChildLease;
  }

  #serveWaiter(child: Child): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    waiter.cancel.unlisten();
    waiter.resolve(this.#lend(child));
  }

  readonly #killer = (child: Child): void => this.#kill(child);

  #kill(child: Child): void {
    if (child.proc === undefined) return;
    child.killed = true;
    child.state = "dead";
    child.connection?.destroy();
    killGroup(child.proc.pid, "SIGKILL");
  }

  #spawn(child: Child): void {
    child.restart = undefined;
    if (this.#state !== "running") return;
    child.generation++;
    child.socketPath = join(this.#dir, `php-${child.index}-${child.generation}.sock`);
    child.state = "starting";
    child.killed = false;
    child.startedAt = Date.now();
    // php-cgi's own FastCGI loop: one process (no forking: plugd supervises), no request cap
    // (PHP_FCGI_MAX_REQUESTS defaults to 500, then the process exits), the environment plugd's
    // PATH and TMPDIR only; each request's variables come as FastCGI PARAMS.
    const proc = spawn(this.#binary, ["-b", child.socketPath], {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...inheritedEnvironment(), PHP_FCGI_CHILDREN: "0", PHP_FCGI_MAX_REQUESTS: "0" },
    });
    child.proc = proc;
    const lines = new StderrLines((line) => this.#settings.log("error", `php-cgi -b child ${child.index}: ${line}`));
    proc.stderr?.on("data", (chunk: Buffer) => lines.push(chunk));
    proc.once("error", (err) => {
      this.#settings.log("error", `php-cgi -b child ${child.index} could not start: ${err.message}`);
      this.#exited(child, proc, `error ${err.message}`);
    });
    proc.once("exit", (code, signal) => {
      lines.end();
      this.#exited(child, proc, signal !== null ? `signal ${signal}` : `code ${code}`);
    });
    void this.#connect(child, proc);
  }

  /** php-cgi creates its socket a moment after it starts: try until it answers, or the child is gone. */
  async #connect(child: Child, proc: ChildProcess): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let delay = 2;
    while (child.proc === proc && this.#state === "running") {
      try {
        const connection = await FcgiConnection.connect({ path: child.socketPath });
        if (child.proc !== proc || this.#state !== "running") {
          connection.destroy();
          return;
        }
        child.connection = connection;
        child.lease = new ChildLease(child, connection, this.#killer);
        connection.onClose = () => this.#connectionClosed(child, proc, connection);
        child.state = "idle";
        this.#settle(child);
        this.#serveWaiter(child);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          this.#settings.log("error", `php-cgi -b child ${child.index} did not accept a connection on ${child.socketPath}: ${(err as Error).message}`);
          this.#settle(child);
          killGroup(proc.pid, "SIGKILL");
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 100);
      }
    }
  }

  #connectionClosed(child: Child, proc: ChildProcess, connection: FcgiConnection): void {
    if (child.connection !== connection) return;
    child.connection = undefined;
    if (child.proc !== proc || this.#state !== "running" || child.state === "dead") return;
    // The child closed the connection but lives on: connect again (it accepts one at a time).
    child.state = "starting";
    void this.#connect(child, proc);
  }

  #exited(child: Child, proc: ChildProcess, how: string): void {
    if (child.proc !== proc) return;
    child.proc = undefined;
    child.state = "dead";
    child.connection?.destroy();
    child.connection = undefined;
    void unlink(child.socketPath).catch(() => {});
    this.#settle(child);
    if (this.#state !== "running") return;
    const quick = Date.now() - child.startedAt < QUICK_DEATH_MS && !child.killed;
    child.failures = quick ? child.failures + 1 : 0;
    const delay = child.failures === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (child.failures - 1));
    if (!child.killed) this.#settings.log("warn", `php-cgi -b child ${child.index} (pid ${proc.pid}) exited (${how}); starting it again${delay > 0 ? ` in ${delay} ms` : ""}`);
    if (delay === 0) this.#spawn(child);
    else child.restart = setTimeout(() => this.#spawn(child), delay);
  }

  #settle(child: Child): void {
    if (child.settled) return;
    child.settled = true;
    this.#onSettled?.();
  }
}

class ChildLease implements Lease {
  readonly child: Child;
  readonly connection: FcgiConnection;
  readonly #kill: (child: Child) => void;

  constructor(child: Child, connection: FcgiConnection, kill: (child: Child) => void) {
    this.child = child;
    this.connection = connection;
    this.#kill = kill;
  }

  /** Read while a request is on the connection: it counts itself. */
  get reused(): boolean {
    return this.connection.requests > 1;
  }

  kill(): void {
    if (this.child.connection === this.connection) this.#kill(this.child);
  }
}
