// tapable interceptors the core puts on every hook before any plugin taps:
// - tapping after listen() is an error (DESIGN §2);
// - each tap is attributed to the plugin whose apply() made it;
// - an error a tap throws is marked with its hook and plugin, so the 500 can say who failed.
// The wrapper is made once per tap at registration, not per request.
import { PlugdError } from "./errors.ts";
import type { Hooks } from "./hooks.ts";
import { markTapError } from "./tap-errors.ts";
import { REQUEST_ARGUMENT, timed } from "./timing.ts";

/** The plugin a tap belongs to, by tap function (read by --print-hooks and timing). */
export const TAP_OWNER = new WeakMap<object, string>();

export interface InstrumentState {
  /** Plugin whose apply() is running, for attribution. */
  applying: string | undefined;
  /** Set once the server listens. */
  frozen: boolean;
  /** Wrap taps to time them (the server's `timing` option). */
  readonly timing: boolean;
  /** Keys of handle.for(...) hooks created, i.e. methods some plugin looked at. */
  readonly methods: string[];
  /** A `log` tap threw: reported here, and the other log taps still run. */
  logTapFailed(err: unknown): void;
}

type AnyFn = (...args: unknown[]) => unknown;
interface TapLike {
  type: string;
  name: string;
  fn: AnyFn;
}
interface Interceptable {
  intercept(interceptor: { register?: (tap: never) => unknown }): void;
}

export function instrumentHooks(hooks: Hooks, state: InstrumentState): void {
  for (const name of ["onRawRequest", "onParsed", "authorize", "respond", "log", "listening", "close"] as const) {
    instrument(hooks[name] as unknown as Interceptable, name, name, state);
  }
  hooks.handle.intercept({
    factory: (key: string, hook) => {
      state.methods.push(key);
      instrument(hook as unknown as Interceptable, `handle.for(${JSON.stringify(key)})`, "handle", state);
      return hook;
    },
  });
}

function instrument(hook: Interceptable, hookName: string, kind: string, state: InstrumentState): void {
  const requestIndex = state.timing ? REQUEST_ARGUMENT[kind] : undefined;
  hook.intercept({
    register: ((tap: TapLike) => {
      if (state.frozen && hookName !== "close") {
        throw new PlugdError("PLUGD_ERR_HOOK_TAP_AFTER_LISTEN", `Tap "${tap.name}" on ${hookName} after the server started listening`);
      }
      const plugin = state.applying ?? tap.name;
      let wrapped = wrap(tap, hookName, plugin, state);
      if (requestIndex !== undefined) wrapped = timed(wrapped, tap.type, plugin, requestIndex);
      TAP_OWNER.set(wrapped, plugin);
      return { ...tap, fn: wrapped };
    }) as never,
  });
  // tapable's Hook.isUsed() is "taps or interceptors", and this interceptor is on every hook:
  // only taps may count, or every hook looks used (the lifecycle calls hooks nobody tapped,
  // and the stderr report of a 5xx when no logger is tapped never runs).
  (hook as unknown as { isUsed(): boolean }).isUsed = tapsOnly;
}

function tapsOnly(this: { taps: readonly unknown[] }): boolean {
  return this.taps.length > 0;
}

function wrap(tap: TapLike, hookName: string, plugin: string, state: InstrumentState): AnyFn {
  const fn = tap.fn;
  if (tap.type === "promise") {
    const onError = (err: unknown): never => {
      throw markTapError(err, hookName, plugin);
    };
    return (a, b, c) => {
      try {
        return (fn(a, b, c) as Promise<unknown>).then(undefined, onError);
      } catch (err) {
        return Promise.reject(markTapError(err, hookName, plugin));
      }
    };
  }
  if (tap.type === "async") {
    return (...args) => {
      const callback = args.pop() as (err: unknown, result?: unknown) => void;
      try {
        fn(...args, (err: unknown, result?: unknown) => callback(err ? markTapError(err, hookName, plugin) : err, result));
      } catch (err) {
        callback(markTapError(err, hookName, plugin));
      }
    };
  }
  if (hookName === "log") {
    // Observers can never break a response, nor stop the next observer (DESIGN §2).
    return (a, b, c) => {
      try {
        fn(a, b, c);
      } catch (err) {
        state.logTapFailed(markTapError(err, hookName, plugin));
      }
    };
  }
  return (a, b, c) => {
    try {
      return fn(a, b, c);
    } catch (err) {
      throw markTapError(err, hookName, plugin);
    }
  };
}
