// The logs of one server: its access log, its error log, and what goes into each.
import { relative, isAbsolute } from "node:path";
import type { RequestInfo } from "../../core/http/request.ts";
import type { Response } from "../../core/http/response.ts";
import type { Timing } from "../../core/http/lifecycle-types.ts";
import { ACCESS_LINES, type AccessFormat, type AccessLine } from "./access-line.ts";
import { errorLine, type LogFields, type LogLevel } from "./error-line.ts";
import { redactHead } from "./escape.ts";
import { acquire, holdReopenSignal, release, releaseReopenSignal, type StandardStream } from "./files.ts";
import type { LogFile } from "./log-file.ts";

/** Where one log goes: an absolute file path or a standard stream. */
export type LogTarget = { readonly file: string } | { readonly stream: StandardStream };

export interface ServerLogSettings {
  readonly server: string;
  /** The server's web root, to warn when the logs would be served from it. */
  readonly root: string;
  readonly dir: string;
  readonly access: LogTarget;
  readonly error: LogTarget;
  readonly format: AccessFormat;
}

/** Error lines written before the files are open (other plugins' apply()), kept at most. */
const MAX_EARLY_LINES = 1000;

function peer(info: RequestInfo): string {
  return info.remoteAddress.includes(":") ? `[${info.remoteAddress}]:${info.remotePort}` : `${info.remoteAddress}:${info.remotePort}`;
}

function targetName(target: LogTarget): string {
  return "file" in target ? target.file : `-${target.stream}`;
}

export class ServerLog {
  readonly #settings: ServerLogSettings;
  readonly #line: AccessLine;
  readonly #json: boolean;
  #access: LogFile | undefined;
  #error: LogFile | undefined;
  #early: string[] = [];
  #state: "new" | "running" | "stopped" = "new";

  constructor(settings: ServerLogSettings) {
    this.#settings = settings;
    this.#line = ACCESS_LINES[settings.format];
    this.#json = settings.format === "json";
  }

  get running(): boolean {
    return this.#state === "running";
  }

  /** At `listening`: opens (creating the folder) or reports why not; never fails start-up. */
  async start(): Promise<void> {
    const s = this.#settings;
    this.#access = acquire("file" in s.access ? s.access.file : s.access.stream);
    this.#error = acquire("file" in s.error ? s.error.file : s.error.stream);
    holdReopenSignal();
    this.#state = "running";
    await Promise.all([this.#access.open(), this.#error.open()]);
    for (const line of this.#early) this.#error.append(line);
    this.#early = [];
    this.#startupWarnings();
  }

  /** At `close`: writes what is waiting and closes the files this server was the last to use. */
  async stop(): Promise<void> {
    if (this.#state !== "running") {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopped";
    releaseReopenSignal();
    const files = [this.#access, this.#error].filter((f): f is LogFile => f !== undefined);
    this.#access = this.#error = undefined;
    await Promise.all(files.map((f) => release(f)));
  }

  /** The `log` tap: one access line, and an error line for a rejected request or a 5xx. */
  record(info: RequestInfo, response: Response, timing: Timing): void {
    const access = this.#access;
    if (access === undefined) return;
    access.append(this.#line(info, response, timing));
    if (!info.parsed) {
      this.write("warn", `rejected request: ${timing.error?.message ?? response.error?.message ?? "malformed"}`, {
        id: info.id,
        peer: peer(info),
        status: response.status,
        code: timing.error?.code ?? response.error?.code,
        // Escaped by the line writer like any value; the credentials are replaced first.
        raw: info.raw === undefined ? undefined : redactHead(info.raw).toString("latin1"),
      });
    } else if (response.status >= 500) {
      const error = timing.error ?? response.error;
      this.write("error", error?.message ?? `${response.status} response`, {
        id: info.id,
        peer: peer(info),
        method: info.method,
        target: info.target,
        status: response.status,
        code: error?.code,
        hook: error?.hook,
        plugin: error?.plugin,
        stack: error?.stack,
      });
    }
  }

  /** A line in the error log (errorLog(server).write). */
  write(level: LogLevel, message: string, fields?: LogFields): void {
    const line = errorLine(this.#json, Date.now(), level, this.#settings.server, message, fields);
    if (this.#state === "running") (this.#error as LogFile).append(line);
    else if (this.#state === "new") {
      if (this.#early.length < MAX_EARLY_LINES) this.#early.push(line);
    } else process.stderr.write(line);
  }

  #startupWarnings(): void {
    const s = this.#settings;
    const inRoot = (path: string): boolean => {
      const rel = relative(s.root, path);
      return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
    };
    for (const [name, target] of [["access", s.access], ["error", s.error]] as const) {
      if ("file" in target && inRoot(target.file)) {
        this.write("warn", `the ${name} log is inside the web root: a file-serving plugin may serve it to anyone`, { file: target.file, root: s.root });
      }
    }
    if (targetName(s.access) === targetName(s.error) && s.format !== "json") {
      this.write("warn", "the access and error logs are the same file: access log readers (goaccess) will count the error lines as invalid", {
        file: targetName(s.access),
      });
    }
  }
}
