// THE lifecycle hooks (DESIGN §2), declared once. Plugins tap them; they never add hooks here.
// A plugin that offers hooks of its own keeps them in a WeakMap<Server, Hooks> behind a static
// getter (see docs/plugins.md).
import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, HookMap, SyncHook } from "tapable";
import type { Request, RequestInfo } from "./http/request.ts";
import type { Response } from "./http/response.ts";
import type { RawRequest, Timing } from "./http/lifecycle-types.ts";

/** What a bail tap may return: a Response to answer with, or nothing to pass on. */
export type MaybeResponse = Response | undefined | void;

export interface Hooks {
  /**
   * Fires once a request's head has fully arrived, before it is parsed, with the head bytes
   * exactly as received and the peer address. Return a Response to answer it and close the
   * connection (deny lists, rate limits); return nothing to go on.
   */
  readonly onRawRequest: AsyncSeriesBailHook<[RawRequest], MaybeResponse>;
  /**
   * Fires for every request that parsed, before authorization; the body has not been read.
   * Return a Response to stop (405/411/415 gates), or nothing to go on.
   */
  readonly onParsed: AsyncSeriesBailHook<[Request], MaybeResponse>;
  /**
   * Fires after onParsed. Return a 401/403/407 Response to stop, or nothing to go on.
   * A tap that verifies a user sets `request.user`.
   */
  readonly authorize: AsyncSeriesBailHook<[Request], MaybeResponse>;
  /**
   * One hook per method: `handle.for("GET")`. The first tap to return a Response answers.
   * No tap answered: 404. A method with no hook at all: 405 with `Allow` when the method is
   * registered as known (RFC 9110 §9), else 501.
   */
  readonly handle: HookMap<AsyncSeriesBailHook<[Request], MaybeResponse>>;
  /**
   * Every Response, whoever made it (handlers, gates, the core's own 404/405/500), passes
   * through here before it is written. Each tap returns the (possibly new) Response.
   * Not called for parse errors (the core answers those itself) nor for tunnels' bytes.
   */
  readonly respond: AsyncSeriesWaterfallHook<[Response, Request]>;
  /**
   * Fires after a response has been written (or failed to be): for every parsed request,
   * every request the core rejected while parsing (a RequestInfo with `parsed: false`), and
   * every tunnel when it closes. Observers only: a throwing tap is caught and reported.
   */
  readonly log: SyncHook<[RequestInfo, Response, Timing]>;
  /** Once, after plugins are applied and before the sockets listen: open pools, files. */
  readonly listening: AsyncSeriesHook<[]>;
  /** Once, when the server stops: close pools, flush files. */
  readonly close: AsyncSeriesHook<[]>;
}

export function createHooks(): Hooks {
  return Object.freeze({
    onRawRequest: new AsyncSeriesBailHook<[RawRequest], MaybeResponse>(["raw"]),
    onParsed: new AsyncSeriesBailHook<[Request], MaybeResponse>(["request"]),
    authorize: new AsyncSeriesBailHook<[Request], MaybeResponse>(["request"]),
    handle: new HookMap(() => new AsyncSeriesBailHook<[Request], MaybeResponse>(["request"])),
    respond: new AsyncSeriesWaterfallHook<[Response, Request]>(["response", "request"]),
    log: new SyncHook<[RequestInfo, Response, Timing]>(["request", "response", "timing"]),
    listening: new AsyncSeriesHook<[]>([]),
    close: new AsyncSeriesHook<[]>([]),
  });
}

/** Hook names in lifecycle order, for --print-hooks and error reports. */
export const HOOK_NAMES = Object.freeze([
  "onRawRequest",
  "onParsed",
  "authorize",
  "handle",
  "respond",
  "log",
  "listening",
  "close",
] as const);
export type HookName = (typeof HOOK_NAMES)[number];
