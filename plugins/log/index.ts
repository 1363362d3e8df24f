// The `log` plugin: an access log (one line per answered request: parsed, rejected by the core
// while parsing, and CONNECT tunnels when they close) in the Combined, Common or JSON format,
// and an error log (rejected requests with the reason and an excerpt of the head, every 5xx
// with hook, plugin, code and request id, what other plugins report through errorLog(server),
// start-up warnings). Lines are escaped (DESIGN §8), written in the background (log-file.ts),
// and SIGUSR1 reopens the files for logrotate. See plugins/log/README.md.
import { isAbsolute, resolve } from "node:path";
import { definePlugin } from "../../core/define-plugin.ts";
import type { Server } from "../../core/server.ts";
import { STAGE_GATE, STAGE_LAST } from "../../core/stages.ts";
import { errorLine, LOG_LEVELS, type LogFields, type LogLevel } from "./error-line.ts";
import type { LogOptions } from "./options.ts";
import { ServerLog, type LogTarget } from "./server-log.ts";

export { LOG_LEVELS, type LogFields, type LogLevel };

/** What other plugins write to a server's error log with. */
export interface ErrorLog {
  /**
   * Writes one line: the level, the message and the fields (`undefined` values left out), all
   * escaped, so a message with newlines stays one line; a gateway passes each line of its
   * child's stderr in its own call. Authorization, Proxy-Authorization and Cookie fields are
   * written as "[redacted]". Never blocks and never throws.
   */
  write(level: LogLevel, message: string, fields?: LogFields): void;
  /** True when the log plugin is running on this server (false: lines go to stderr). */
  readonly active: boolean;
}

const LOGS = new WeakMap<Server, ServerLog>();
const HANDLES = new WeakMap<Server, ErrorLog>();

/**
 * The error log of `server`, for other plugins (the PHP gateway's stderr, start-up warnings).
 * Works whether or not the log plugin is enabled, and whatever the order of plugins in the
 * config: each write goes to the log plugin's error log when it is on for this server, and
 * otherwise (off, or already stopped) to stderr as the same one-line text. Lines written after
 * the log plugin's apply() and before its files are open are kept and written once they are
 * (the log plugin opens them in a `listening` tap that runs before the others); lines written
 * from an apply() that ran before the log plugin's go to stderr.
 */
export function errorLog(server: Server): ErrorLog {
  let handle = HANDLES.get(server);
  if (handle === undefined) {
    handle = {
      write(level: LogLevel, message: string, fields?: LogFields): void {
        const log = LOGS.get(server);
        if (log !== undefined) log.write(level, message, fields);
        else process.stderr.write(errorLine(false, Date.now(), level, server.name, message, fields));
      },
      get active(): boolean {
        return LOGS.get(server)?.running === true;
      },
    };
    HANDLES.set(server, handle);
  }
  return handle;
}

/**
 * A relative `dir` resolves against `server.config.base`: the folder of the config file (as
 * `root` and `module` do), so the default "./logs" lands next to server.config.json whatever
 * the working directory; for a server made in code, the working directory.
 */
export function resolveLogDir(dir: string, base: string): string {
  return resolve(base, dir);
}

function target(dir: string, name: string, stream: "stdout" | "stderr"): LogTarget {
  if (name === "-") return { stream };
  return { file: isAbsolute(name) ? name : resolve(dir, name) };
}

export default definePlugin<LogOptions>({
  name: "log",
  schema: "schemas/plugins/log.schema.json",
  apply(server, options) {
    const dir = resolveLogDir(options.dir, server.config.base);
    const log = new ServerLog({
      server: server.name,
      root: server.config.root,
      dir,
      access: target(dir, options.access, "stdout"),
      error: target(dir, options.error, "stderr"),
      format: options.format,
    });
    LOGS.set(server, log);
    // Opened before the other plugins' `listening` taps, so their start-up warnings reach the file.
    server.hooks.listening.tapPromise({ name: "log", stage: STAGE_GATE }, () => log.start());
    server.hooks.log.tap("log", (info, response, timing) => log.record(info, response, timing));
    // Closed after the other plugins' `close` taps, so what they report while stopping is kept.
    server.hooks.close.tapPromise({ name: "log", stage: STAGE_LAST }, () => log.stop());
  },
});
