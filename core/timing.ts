// Opt-in per-request timing (`"timing": true` on a server): each tap is wrapped, once, at
// registration, to add its time to the request's account; the core sends the account as a
// `Server-Timing` header (W3C Server Timing). With timing off nothing is wrapped: it costs nothing.
import type { Request } from "./http/request.ts";

type AnyFn = (...args: unknown[]) => unknown;

const accounts = new WeakMap<object, Map<string, number>>();

/** Which argument of each hook's taps is the Request (hooks without one are not timed). */
export const REQUEST_ARGUMENT: Readonly<Record<string, number>> = Object.freeze({
  onParsed: 0,
  authorize: 0,
  handle: 0,
  respond: 1,
});

function record(request: unknown, plugin: string, ms: number): void {
  if (typeof request !== "object" || request === null) return;
  let account = accounts.get(request);
  if (account === undefined) accounts.set(request, (account = new Map()));
  account.set(plugin, (account.get(plugin) ?? 0) + ms);
}

/** Wraps a (core-wrapped) tap function so its time is recorded on the request. */
export function timed(fn: AnyFn, type: string, plugin: string, requestIndex: number): AnyFn {
  if (type === "promise") {
    return (...args) => {
      const start = performance.now();
      const done = (): void => record(args[requestIndex], plugin, performance.now() - start);
      return (fn(...args) as Promise<unknown>).finally(done);
    };
  }
  if (type === "async") {
    return (...args) => {
      const start = performance.now();
      const callback = args.pop() as AnyFn;
      fn(...args, (...results: unknown[]) => {
        record(args[requestIndex], plugin, performance.now() - start);
        callback(...results);
      });
    };
  }
  return (...args) => {
    const start = performance.now();
    try {
      return fn(...args);
    } finally {
      record(args[requestIndex], plugin, performance.now() - start);
    }
  };
}

/** `auth;dur=0.3, php-cgi;dur=12.1`, or undefined when no timed tap ran. */
export function serverTimingHeader(request: Request): string | undefined {
  const account = accounts.get(request);
  if (account === undefined) return undefined;
  const parts: string[] = [];
  for (const [plugin, ms] of account) parts.push(`${plugin};dur=${ms.toFixed(1)}`);
  return parts.join(", ");
}
