// One request through the gateway: find the script, take a slot, build the environment, run
// it on the backend, read its CGI header section and make the Response (or an internal
// redirect). Everything that can go wrong is answered with a status and reported with a code.
import { errorCode, PlugdError } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import { error as errorResponse, type Response } from "../../core/http/response.ts";
import type { Server } from "../../core/server.ts";
import { indexFiles } from "../get/index.ts";
import type { ErrorLog } from "../log/index.ts";
import type { FilePolicy } from "../shared/files.ts";
import type { Backend } from "./backend.ts";
import { isLocalLocation, parseHead } from "./cgi-head.ts";
import { buildEnvironment, utf8Bytes } from "./environment.ts";
import { phpCgiHooks } from "./hooks.ts";
import { LocateCache } from "./locate-cache.ts";
import { isScriptName, locateScript, mayBeScript, type LocateSettings } from "./locate.ts";
import type { PhpCgiOptions } from "./options.ts";
import { dispatch, MAX_INTERNAL_REDIRECTS, redirectedRequest, redirectState } from "./redirect.ts";
import { prepareBody, type BodyInput } from "./request-body.ts";
import type { ScriptOutput } from "./script-output.ts";
import { ScriptRequest } from "./script-request.ts";
import { Slots } from "./slots.ts";
import { WatchdogClock } from "./watchdog.ts";

/** Retry-After on a 503 for a full queue (RFC 9110 §10.2.3), in seconds. */
export const RETRY_AFTER_SECONDS = 5;

const PASS: Promise<undefined> = Promise.resolve(undefined);

export interface GatewaySettings {
  readonly server: Server;
  readonly options: PhpCgiOptions;
  readonly backend: Backend;
  readonly log: ErrorLog;
  /** The private folder for spooled bodies (made the first time one is needed). */
  spoolDir(): Promise<string>;
}

export class Gateway {
  readonly server: Server;
  readonly options: PhpCgiOptions;
  readonly backend: Backend;
  readonly log: ErrorLog;
  readonly slots: Slots;
  /** Scripts started and not yet done (diagnostics and tests). */
  readonly running = new Set<ScriptRequest>();
  readonly #spoolDir: () => Promise<string>;
  readonly #locate: LocateSettings;
  readonly #extensions: ReadonlySet<string>;
  readonly #cache: LocateCache;
  readonly #clock: WatchdogClock;
  /** Whether some index name runs as a script (then "/dir/" may be ours); set at `listening`. */
  #indexHasScript = true;

  constructor(settings: GatewaySettings, extensions: ReadonlySet<string>) {
    const options = settings.options;
    this.server = settings.server;
    this.options = options;
    this.backend = settings.backend;
    this.log = settings.log;
    this.#spoolDir = settings.spoolDir;
    this.#extensions = extensions;
    const limit = options.mode === "fastcgi" && options.address === "" ? options.children : options.concurrency;
    this.slots = new Slots(limit, options.queue, options.timeoutMs);
    const policy: FilePolicy = { dotfiles: options.dotfiles, symlinks: options.symlinks };
    this.#locate = { root: settings.server.config.root, extensions, policy };
    this.#cache = new LocateCache(options.revalidateMs);
    this.#clock = new WatchdogClock(options.timeoutMs, this.running);
  }

  /** At `listening`, when every plugin has added its index names. */
  ready(): void {
    this.#indexHasScript = indexFiles(this.server).some((name) => isScriptName(name, this.#extensions));
  }

  close(): void {
    this.#clock.stop();
    this.slots.close();
    this.#cache.clear();
  }

  /** The handle tap for GET, HEAD and POST. A path that cannot name a script costs no I/O. */
  readonly handle = (request: Request): Promise<Response | undefined> => {
    if (!mayBeScript(request.path, this.#extensions, this.#indexHasScript)) return PASS;
    return this.#serve(request);
  };

  async #serve(request: Request): Promise<Response | undefined> {
    const now = Date.now();
    let located = this.#cache.get(request.path, now);
    if (located === undefined) {
      located = await locateScript(request.path, indexFiles(this.server), this.#locate);
      this.#cache.set(request.path, located, now);
    }
    if (located.kind === "pass") return undefined;
    if (located.kind === "refuse") return errorResponse(located.status);
    const reason = this.backend.unavailable();
    if (reason !== undefined) return failure(new PlugdError("PLUGD_ERR_PHP_UNAVAILABLE", reason));
    const script = located;
    let body: BodyInput | undefined;
    if (request.hasBody) {
      try {
        body = await prepareBody(request, this.#spoolDir);
      } catch (err) {
        return failure(err);
      }
    }
    const redirect = redirectState(request);
    const env = buildEnvironment(request, script.target, {
      documentRoot: script.documentRoot,
      passAuthorization: this.options.passAuthorization,
      contentLength: body?.length,
      ...(redirect !== undefined ? { redirectedFrom: redirect.origin } : {}),
    });
    const hooks = phpCgiHooks(this.server);
    if (hooks.environment.isUsed()) {
      hooks.environment.call(env, request);
      // A tap may have set text beyond latin1: variables are bytes (its UTF-8).
      for (const [name, value] of env) if (/[^\x00-\xff]/.test(value)) env.set(name, utf8Bytes(value));
    }
    // An internally redirected request has no socket of its own: the client's tells when it leaves.
    const run = new ScriptRequest(this, request, redirect?.origin ?? request, script.target.scriptName, env, body);
    const section = await run.start();
    if (typeof section !== "object" || !Buffer.isBuffer(section)) return failure(section);

    const parsed = parseHead(section);
    const output = run.output as ScriptOutput;
    if (!parsed.ok) {
      output.discard();
      return failure(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `${script.target.scriptName}: ${parsed.reason}`));
    }
    const head = parsed.head;
    if (head.dropped.length > 0) {
      this.log.write("warn", `response header fields dropped: ${head.dropped.join(", ")}`, { id: request.id, script: script.target.scriptName });
    }
    const headers = head.headers;
    let status = head.status ?? 200;
    if (head.location !== undefined) {
      // RFC 3875 §6.2.2: only a bare local Location (no other status, no body) is the server's
      // to follow. PHP's header("Location: /x") also sends "Status: 302": that is the client's.
      if (isLocalLocation(head.location) && status === 200 && !(await output.hasBody())) {
        return this.#redirect(request, head.location);
      }
      headers.location = head.location;
      // RFC 3875 §6.2.4: a client redirect is a 302 unless the script chose the status.
      if (head.status === undefined) status = 302;
    }
    if (request.method !== "HEAD") {
      // The script already finished and said little: one buffer, sent with Content-Length.
      const whole = output.takeWhole();
      if (whole !== undefined) {
        delete headers["content-length"];
        return { status, headers, body: whole };
      }
    }
    return { status, headers, body: output.stream() };
  }

  #redirect(request: Request, location: string): Promise<Response> | Response {
    const state = redirectState(request);
    const depth = (state?.depth ?? 0) + 1;
    if (depth > MAX_INTERNAL_REDIRECTS) {
      return failure(new PlugdError("PLUGD_ERR_PHP_REDIRECT_LOOP", `more than ${MAX_INTERNAL_REDIRECTS} internal redirects, the last to ${location}`));
    }
    const next = redirectedRequest(request, location, { depth, origin: state?.origin ?? request });
    if (next === undefined) {
      return failure(new PlugdError("PLUGD_ERR_PHP_BAD_GATEWAY", `the script's local Location is not a usable path: ${JSON.stringify(location.slice(0, 200))}`));
    }
    return dispatch(this.server, next);
  }
}

/** The response for an error: its status (body errors keep theirs: 413, 408, 400) and, for the log, its code. */
export function failure(err: unknown): Response {
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  const status = typeof e.status === "number" && e.status >= 400 && e.status <= 599 ? e.status : 502;
  const code = errorCode(err) ?? "PLUGD_ERR_PHP_BAD_GATEWAY";
  const message = String(e.message ?? err);
  const headers: Record<string, string> = code === "PLUGD_ERR_PHP_OVERLOADED" ? { "retry-after": String(RETRY_AFTER_SECONDS) } : {};
  const response = errorResponse(status, status < 500 && e.expose !== false ? message : undefined, headers);
  response.error = { code, message, hook: "handle", plugin: "php-cgi" };
  return response;
}
