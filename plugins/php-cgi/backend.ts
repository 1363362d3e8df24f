// What the gateway asks of a way to run scripts: php-cgi per request (cgi-backend.ts) or
// FastCGI (fastcgi/backend.ts). Both take the same environment and request body and give the
// same ScriptOutput, so one response parser serves both.
import type { Cancel } from "./cancel.ts";
import type { BodyInput } from "./request-body.ts";
import type { Environment } from "./environment.ts";
import type { ScriptOutput } from "./script-output.ts";
import type { Watchdog } from "./watchdog.ts";

export interface RunInput {
  readonly env: Environment;
  readonly body: BodyInput | undefined;
  /** Touched by the backend on every sign of life; see watchdog.ts. */
  readonly watchdog: Watchdog;
  /** Cancelled when the script is no longer wanted (client gone, timeout): stop waiting for a connection. */
  readonly cancel: Cancel;
  /** The script's stderr, as it comes. */
  stderr(chunk: Buffer): void;
  /** The request body failed (413, 408, 400 from the core): the script is stopped, the error is the answer. */
  bodyFailed(err: Error): void;
  /**
   * The script is done with (process exited, END_REQUEST, connection dropped): called once,
   * also when run() fails after it began. A callback, not a promise: one fewer per request.
   */
  done(): void;
}

export interface ScriptRun {
  readonly output: ScriptOutput;
  /** Stops the script now (timeout, client gone): kills its process group, or drops its connection. */
  kill(): void;
}

export interface Backend {
  /** At `listening`: find php-cgi, start the pool. Never throws: a problem makes unavailable() say why. */
  start(): Promise<void>;
  /** At `close`: stop what start() started. */
  stop(): Promise<void>;
  /** Why scripts cannot run now (503), or undefined. */
  unavailable(): string | undefined;
  /**
   * Starts the script: at once when it can (a FastCGI connection is free), else through a
   * promise. Fails with a PlugdError (PLUGD_ERR_PHP_*) when it cannot.
   */
  run(input: RunInput): ScriptRun | Promise<ScriptRun>;
}
