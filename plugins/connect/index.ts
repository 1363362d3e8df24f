// connect: a CONNECT tunnel proxy (RFC 9110 §9.3.6), closed to abuse by default: targets by
// allow-list, every resolved address checked and the checked address dialled, non-public
// addresses and this server's own listeners refused (docs/design.md §8). Absolute-form
// requests naming another host get 403, or with forwardHttp are forwarded as plain HTTP under
// the same rules. Proxy credentials (407) are the auth plugin's `proxy` option.
// Options: schemas/plugins/connect.schema.json; behaviour and choices: plugins/connect/README.md.
import { definePlugin } from "../../core/define-plugin.ts";
import { PlugdError } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import { empty, type Response } from "../../core/http/response.ts";
import type { Server } from "../../core/server.ts";
import { STAGE_GATE, STAGE_LAST } from "../../core/stages.ts";
import { AddressPolicy } from "./addresses.ts";
import { Dialer } from "./dial.ts";
import { forward, FORWARDED_METHODS } from "./forward.ts";
import { TunnelLimits, type Release } from "./limits.ts";
import { Listeners, namesThisServer } from "./local.ts";
import type { ConnectOptions } from "./options.ts";
import { AllowList, parseTarget, type Target } from "./target.ts";
import { runTunnel } from "./tunnel.ts";
import { ReadBufferPool, UpstreamReads } from "./upstream-reads.ts";

/** What a running connect plugin exposes, for tests and the bench. */
export interface ConnectHandle {
  readonly limits: TunnelLimits;
}

const handles = new WeakMap<Server, ConnectHandle>();

/** The connect plugin's state on `server`, or undefined when it is not enabled there. */
export function connectOf(server: Server): ConnectHandle | undefined {
  return handles.get(server);
}

/** request.locals key: the absolute-form target, once judged to be another host. */
const LOCALS_KEY = "connect";

export default definePlugin<ConnectOptions>({
  name: "connect",
  schema: "schemas/plugins/connect.schema.json",
  apply(server, options) {
    const allow = new AllowList(options.allow);
    const listeners = new Listeners(() => server.addresses);
    const dialer = new Dialer(new AddressPolicy(options.allowAddresses), listeners, options.connectTimeoutMs);
    const limits = new TunnelLimits(options.maxTunnels, options.maxTunnelsPerClient);
    const readBuffers = new ReadBufferPool();
    const serverNames = new Set(options.serverNames.map((n) => n.toLowerCase().replace(/\.$/, "")));
    handles.set(server, { limits });

    /** Admission: the target is well-formed and allowed, and a slot is free. */
    const admit = (target: Target | undefined, request: Request): Release => {
      if (target === undefined) throw new PlugdError("PLUGD_ERR_CONNECT_BAD_TARGET", `${request.authority} is not a usable host and port`);
      if (!allow.matches(target)) throw new PlugdError("PLUGD_ERR_CONNECT_NOT_ALLOWED", `${target.text} is not an allowed destination`);
      return limits.acquire(request.remoteAddress);
    };

    server.hooks.handle.for("CONNECT").tapPromise("connect", async (request) => {
      // The parser accepted only authority-form for CONNECT (RFC 9112 §3.2.3); anything else was a 400.
      const target = parseTarget(request.target);
      const release = admit(target, request);
      const reads = new UpstreamReads(readBuffers);
      let upstream;
      try {
        upstream = await dialer.dial(target as Target, request.signal, reads);
      } catch (err) {
        release();
        throw err;
      }
      upstream.once("close", release);
      // Until the tunnel starts, a client that goes away (or a respond tap that drops the tunnel)
      // must not leave the target's socket open: the abort closes it, the idle timer bounds it.
      const onAbort = (): void => {
        upstream.destroy();
      };
      request.signal.addEventListener("abort", onAbort, { once: true });
      upstream.setTimeout(options.idleTimeoutMs, () => upstream.destroy());
      upstream.on("error", () => upstream.destroy());
      const response: Response = {
        // RFC 9110 §9.3.6: a 2xx to CONNECT has no content; the core writes no framing fields.
        status: 200,
        headers: {},
        tunnel(socket, head, done) {
          request.signal.removeEventListener("abort", onAbort);
          runTunnel(socket, upstream, reads, head, options.idleTimeoutMs, done);
        },
      };
      return response;
    });

    // Absolute-form to another host: refused here, after the auth plugin's proxy credentials
    // (407) and before any handler could answer it as if it were for this server.
    server.hooks.authorize.tap({ name: "connect", stage: STAGE_LAST }, (request) => {
      if (request.targetForm !== "absolute") return undefined;
      const https = request.target.slice(0, 6).toLowerCase() === "https:";
      const target = parseTarget(request.authority, https ? 443 : 80);
      if (target !== undefined && namesThisServer(request, target, listeners, serverNames)) return undefined;
      if (!options.forwardHttp) throw new PlugdError("PLUGD_ERR_CONNECT_NOT_FORWARDED", "This server does not forward requests to other hosts");
      if (https) throw new PlugdError("PLUGD_ERR_CONNECT_NOT_FORWARDED", "https:// targets are reached with CONNECT");
      if (!FORWARDED_METHODS.includes(request.method)) throw new PlugdError("PLUGD_ERR_CONNECT_NOT_FORWARDED", `${request.method} is not forwarded`);
      request.locals.set(LOCALS_KEY, target);
      return undefined;
    });

    if (!options.forwardHttp) return;
    for (const method of FORWARDED_METHODS) {
      // Before gateways and static files: a request for another host is never answered locally.
      server.hooks.handle.for(method).tapPromise({ name: "connect", stage: STAGE_GATE }, async (request) => {
        if (!request.locals.has(LOCALS_KEY)) return undefined;
        const target = request.locals.get(LOCALS_KEY) as Target | undefined;
        if (method === "OPTIONS" && request.headers.get("max-forwards")?.trim() === "0") {
          // RFC 9110 §7.6.2: Max-Forwards 0 makes this hop the final recipient.
          return empty(200, { allow: FORWARDED_METHODS.join(", ") });
        }
        const release = admit(target, request);
        let upstream;
        try {
          upstream = await dialer.dial(target as Target, request.signal);
        } catch (err) {
          release();
          throw err;
        }
        upstream.once("close", release);
        return forward(request, upstream, options.idleTimeoutMs);
      });
    }
  },
});
