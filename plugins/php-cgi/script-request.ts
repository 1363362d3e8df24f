// One script run for one request, from its slot to its end: the slot (queue, 503), the
// watchdog (504), the client leaving (kill), the body failing (its status), the script's
// stderr (error log) and, when the script is done, giving everything back.
import type { Request } from "../../core/http/request.ts";
import type { RunInput, ScriptRun } from "./backend.ts";
import { Cancel } from "./cancel.ts";
import type { Environment } from "./environment.ts";
import type { Gateway } from "./gateway.ts";
import { PlugdError } from "../../core/errors.ts";
import type { BodyInput } from "./request-body.ts";
import type { ScriptOutput } from "./script-output.ts";
import { StderrLines } from "./stderr.ts";
import { Watchdog, type Watched } from "./watchdog.ts";

const CLIENT_GONE = "the client went away";

export class ScriptRequest implements RunInput, Watched {
  readonly env: Environment;
  readonly body: BodyInput | undefined;
  readonly cancel = new Cancel();
  /** Started once the script has its slot: the queue has a timeout of its own (503). */
  #watchdog: Watchdog | undefined;
  readonly #gateway: Gateway;
  readonly #request: Request;
  /** The request whose socket it is (the client's, for an internal redirect). */
  readonly #client: Request;
  readonly #scriptName: string;
  #stderr: StderrLines | undefined;
  #run: ScriptRun | undefined;
  #stopped: Error | undefined;
  #holdsSlot = false;
  #finished = false;
  /** Listening to the client's signal (from the first clock tick on). */
  #listening = false;

  constructor(gateway: Gateway, request: Request, client: Request, scriptName: string, env: Environment, body: BodyInput | undefined) {
    this.#gateway = gateway;
    this.#request = request;
    this.#client = client;
    this.#scriptName = scriptName;
    this.env = env;
    this.body = body;
  }

  get watchdog(): Watchdog {
    // Read by the backend only after start() made it.
    return this.#watchdog as Watchdog;
  }

  /** The script's output, once it started. */
  get output(): ScriptOutput | undefined {
    return this.#run?.output;
  }

  get scriptName(): string {
    return this.#scriptName;
  }

  /**
   * Runs the script up to its header section: resolves with those bytes, or with the error to
   * answer with (never rejects: an error is a value here, not a throw on the hot path).
   * Written without async/await so that a script that gets its slot and its connection at once
   * costs no promise but the head's.
   */
  start(): Promise<Buffer | Error> {
    const slots = this.#gateway.slots;
    if (slots.tryAcquire()) {
      this.#holdsSlot = true;
      return this.#begin();
    }
    return slots.acquire(this.cancel).then(
      () => {
        this.#holdsSlot = true;
        return this.#begin();
      },
      (err: Error) => this.#give(err),
    );
  }

  #begin(): Promise<Buffer | Error> {
    const gateway = this.#gateway;
    this.#watchdog = new Watchdog(gateway.options.timeoutMs);
    gateway.running.add(this);
    let run: ScriptRun | Promise<ScriptRun>;
    try {
      run = gateway.backend.run(this);
    } catch (err) {
      return Promise.resolve(this.#give(this.#stopped ?? (err as Error)));
    }
    if (run instanceof Promise) {
      return run.then(
        (started) => this.#started(started),
        (err: Error) => this.#give(this.#stopped ?? err),
      );
    }
    return this.#started(run);
  }

  #started(run: ScriptRun): Promise<Buffer | Error> {
    this.#run = run;
    if (this.#stopped !== undefined) {
      run.kill();
      run.output.fail(this.#stopped);
    }
    return run.output.head.then(undefined, (err: Error) => {
      run.kill();
      return this.#stopped ?? err;
    });
  }

  /** The backend is done with the script (RunInput). */
  done(): void {
    this.#finish();
  }

  /** The client went away (the request's AbortSignal; this object is its listener). */
  handleEvent(): void {
    this.stop(new Error(CLIENT_GONE));
  }

  /**
   * The gateway's clock, a few times per timeoutMs (at most every 250 ms). A script still
   * running at its first tick starts listening for its client leaving: most scripts are done
   * sooner, and never pay for an AbortSignal and its listener (a signal made after the client
   * left is made aborted, so none is missed).
   */
  tick(now: number): void {
    if (this.#finished) return;
    this.#listen();
    if (this.#watchdog?.expire(now) === true) this.timedOut();
  }

  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    const signal = this.#client.signal;
    if (signal.aborted) this.handleEvent();
    else signal.addEventListener("abort", this);
  }

  /** The watchdog ran out. */
  timedOut(): void {
    this.stop(new PlugdError("PLUGD_ERR_PHP_TIMEOUT", `${this.#scriptName} was silent for ${this.#gateway.options.timeoutMs} ms and was stopped`));
  }

  /** The request body failed (413, 408, 400): stop the script, answer with that. */
  bodyFailed(err: Error): void {
    this.stop(err);
  }

  stderr(chunk: Buffer): void {
    this.#stderr ??= new StderrLines((line) => this.#gateway.log.write("error", line, { id: this.#request.id, script: this.#scriptName, from: "script stderr" }));
    this.#stderr.push(chunk);
  }

  /** Stops the script for good; while no head went out, `err` is the answer. */
  stop(err: Error): void {
    if (this.#stopped !== undefined || this.#finished) return;
    this.#stopped = err;
    this.cancel.cancel(err);
    const run = this.#run;
    if (run !== undefined) {
      run.kill();
      run.output.fail(err);
    }
  }

  /** Gave up before the script ran: clean up now and answer with `err`. */
  #give(err: Error): Error {
    this.#finish();
    return err;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#watchdog?.stop();
    if (this.#listening) this.#client.signal.removeEventListener("abort", this);
    this.#stderr?.end();
    this.body?.cleanup();
    this.#gateway.running.delete(this);
    if (this.#holdsSlot) this.#gateway.slots.release();
  }
}
