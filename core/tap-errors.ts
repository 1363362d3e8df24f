// Turning what a tap threw into a response and a report (DESIGN §2: a throwing tap answers
// 500, or the HttpError's status, for that request only, and is reported with hook, plugin
// and request id).
import { errorCode } from "./errors.ts";
import { STAGE } from "./http/exchange.ts";
import type { ReportedError } from "./http/lifecycle-types.ts";

/** Properties the tap interceptor (core/instrument.ts) puts on an error it saw thrown. */
export const TAP_HOOK = Symbol("plugd.hook");
export const TAP_PLUGIN = Symbol("plugd.plugin");

export interface Failure {
  readonly status: number;
  readonly expose: boolean;
  readonly message: string;
  readonly headers: Record<string, string>;
  readonly report: ReportedError;
}

const STAGE_HOOK: Readonly<Record<number, string>> = {
  [STAGE.raw]: "onRawRequest",
  [STAGE.parsed]: "onParsed",
  [STAGE.authorize]: "authorize",
  [STAGE.handle]: "handle",
  [STAGE.respond]: "respond",
};

export function describeFailure(err: unknown, stage: number): Failure {
  const e = (typeof err === "object" && err !== null ? err : new Error(String(err))) as Error & {
    status?: unknown;
    expose?: unknown;
    headers?: unknown;
    [TAP_HOOK]?: string;
    [TAP_PLUGIN]?: string;
  };
  const status = typeof e.status === "number" && e.status >= 400 && e.status <= 599 ? e.status : 500;
  const expose = status < 500 && e.expose !== false;
  const headers = status < 500 && typeof e.headers === "object" && e.headers !== null ? (e.headers as Record<string, string>) : {};
  const report: ReportedError = {
    code: errorCode(e) ?? "PLUGD_ERR_HOOK_TAP_FAILED",
    message: String(e.message ?? e),
    hook: e[TAP_HOOK] ?? STAGE_HOOK[stage] ?? "unknown",
    ...(e[TAP_PLUGIN] !== undefined ? { plugin: e[TAP_PLUGIN] } : {}),
    ...(e.stack !== undefined ? { stack: e.stack } : {}),
  };
  return { status, expose, message: report.message, headers, report };
}

/** Marks an error with the hook and plugin whose tap threw it (first marker wins). */
export function markTapError(err: unknown, hook: string, plugin: string): unknown {
  const e = typeof err === "object" && err !== null ? err : new Error(String(err));
  const marked = e as { [TAP_HOOK]?: string; [TAP_PLUGIN]?: string };
  if (marked[TAP_HOOK] === undefined) {
    marked[TAP_HOOK] = hook;
    marked[TAP_PLUGIN] = plugin;
  }
  return e;
}
