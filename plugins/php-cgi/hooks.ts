// The PHP gateway's own hooks (DESIGN §2: a plugin's hooks live in a WeakMap<Server, Hooks>,
// never in core/hooks.ts). Another plugin reaches them with phpCgiHooks(server) from its apply().
import { SyncHook } from "tapable";
import type { Request } from "../../core/http/request.ts";
import type { Server } from "../../core/server.ts";
import type { Environment } from "./environment.ts";

export interface PhpCgiHooks {
  /**
   * Fires for every script run, after the gateway built its environment (RFC 3875 §4.1) and
   * before the script starts, with that environment (byte strings: one char per byte) and the
   * request. A tap may add or change variables in place (SERVER_NAME behind a proxy, an
   * application's own settings); it is trusted code, so what it sets is not filtered.
   */
  readonly environment: SyncHook<[Environment, Request]>;
}

const HOOKS = new WeakMap<Server, PhpCgiHooks>();

export function phpCgiHooks(server: Server): PhpCgiHooks {
  let hooks = HOOKS.get(server);
  if (hooks === undefined) {
    hooks = Object.freeze({ environment: new SyncHook<[Environment, Request]>(["env", "request"]) });
    HOOKS.set(server, hooks);
  }
  return hooks;
}
