// Mode "fastcgi": each script runs as one Responder request (spec §6.2) on a kept connection
// from a pool: php-fpm's (external-pool.ts) or plugd's own php-cgi -b children (own-pool.ts).
import { errorCode, PlugdError } from "../../../core/errors.ts";
import type { Backend, RunInput, ScriptRun } from "../backend.ts";
import type { Environment } from "../environment.ts";
import { pumpBody } from "../request-body.ts";
import { ScriptOutput, type OutputSource } from "../script-output.ts";
import type { RequestSink } from "./connection.ts";
import { PROTOCOL_STATUS } from "./records.ts";
import type { FcgiPool, Lease } from "./pool.ts";

export class FastCgiBackend implements Backend {
  readonly pool: FcgiPool;

  constructor(pool: FcgiPool) {
    this.pool = pool;
  }

  start(): Promise<void> {
    return this.pool.start();
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }

  unavailable(): string | undefined {
    return this.pool.unavailable();
  }

  run(input: RunInput): ScriptRun | Promise<ScriptRun> {
    const lease = this.pool.tryAcquire();
    if (lease !== undefined) return new FcgiRun(this.pool, lease, input);
    return this.pool.acquire(input.cancel).then((waited) => new FcgiRun(this.pool, waited, input));
  }
}

/**
 * One script on one leased connection: the connection's sink (records in), the output's
 * source (backpressure out to the connection), and the ScriptRun the gateway holds. A class,
 * not closures: one object per request on the hot path.
 */
class FcgiRun implements ScriptRun, RequestSink, OutputSource {
  readonly output: ScriptOutput;
  readonly #pool: FcgiPool;
  readonly #input: RunInput;
  readonly #params: Environment;
  #lease: Lease;
  /** The connection is ours (until END_REQUEST or its loss). */
  #active = true;
  /** Something came back for this request. */
  #heard = false;
  #retried = false;

  constructor(pool: FcgiPool, lease: Lease, input: RunInput) {
    this.#pool = pool;
    this.#lease = lease;
    this.#input = input;
    this.#params = input.env;
    this.output = new ScriptOutput(this, input.watchdog);
    const body = input.body;
    lease.connection.begin(this.#params, body !== undefined, this);
    if (body !== undefined) {
      pumpBody(body.stream, lease.connection.stdin(), input.watchdog).catch((err: Error) => {
        this.kill();
        input.bodyFailed(err);
      });
    }
  }

  kill(): void {
    if (this.#active) this.#lease.kill();
  }

  // --- OutputSource: the client's pace, passed on to the connection
  pause(): void {
    if (this.#active) this.#lease.connection.pause();
  }

  resume(): void {
    if (this.#active) this.#lease.connection.resume();
  }

  // --- RequestSink: what the connection reads
  stdout(chunk: Buffer): void {
    this.#heard = true;
    this.output.feed(chunk);
  }

  stderr(chunk: Buffer): void {
    this.#heard = true;
    this.#input.watchdog.touch();
    this.#input.stderr(chunk);
  }

  end(_appStatus: number, protocolStatus: number): void {
    if (protocolStatus === PROTOCOL_STATUS.REQUEST_COMPLETE) {
      this.output.finish();
    } else {
      // OVERLOADED: the application has no room (spec §5.5); CANT_MPX_CONN, UNKNOWN_ROLE: not one we can talk to.
      const code = protocolStatus === PROTOCOL_STATUS.OVERLOADED ? "PLUGD_ERR_PHP_OVERLOADED" : "PLUGD_ERR_PHP_BAD_GATEWAY";
      this.output.fail(new PlugdError(code, `the ${this.#pool.description} refused the request (FastCGI protocolStatus ${protocolStatus})`));
    }
    // Kept only when our input stream was ended (connection.ts, inputOpen).
    this.#finish(!this.#lease.connection.inputOpen);
  }

  lost(err: Error): void {
    if (!this.#active) return;
    // A kept connection the other side closed while it sat idle (php-fpm's pm.max_requests, a
    // restart): nothing came back and no body was taken, so it is safe to try once more.
    if (!this.#heard && this.#input.body === undefined && this.#lease.reused && !this.#retried && !this.#input.cancel.cancelled) {
      this.#retried = true;
      this.#pool.release(this.#lease, false);
      this.#pool.acquire(this.#input.cancel).then(
        (fresh) => {
          this.#lease = fresh;
          fresh.connection.begin(this.#params, false, this);
        },
        (again: Error) => {
          this.#active = false;
          this.output.fail(errorCode(again)?.startsWith("PLUGD_ERR_") === true ? again : new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", again.message));
          this.#input.done();
        },
      );
      return;
    }
    this.output.fail(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `${this.#pool.description}: ${err.message}`));
    this.#finish(false);
  }

  #finish(reusable: boolean): void {
    if (!this.#active) return;
    this.#active = false;
    this.#pool.release(this.#lease, reusable);
    this.#input.done();
  }
}
