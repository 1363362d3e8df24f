// Resolve once, check every address, dial an address that was checked (docs/design.md §8).
// Dialling the name again would let a DNS answer with a short TTL say "public" to the check
// and "127.0.0.1" to the connect (DNS rebinding): the socket is opened on the checked address.
import { lookup } from "node:dns/promises";
import net from "node:net";
import { PlugdError } from "../../core/errors.ts";
import type { AddressPolicy, IpAddress } from "./addresses.ts";
import { canonicalIp } from "./addresses.ts";
import type { Listeners } from "./local.ts";
import type { Target } from "./target.ts";
import type { UpstreamReads } from "./upstream-reads.ts";

export class Dialer {
  readonly #policy: AddressPolicy;
  readonly #listeners: Listeners;
  readonly #timeoutMs: number;

  constructor(policy: AddressPolicy, listeners: Listeners, timeoutMs: number) {
    this.#policy = policy;
    this.#listeners = listeners;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * A connected socket (allowHalfOpen, so a half-close can be passed on) to one of the
   * target's addresses, all of which passed the address policy. Throws PlugdError: 403 when
   * any address is refused, 502 when the name does not resolve or every address refused the
   * connection, 504 when connectTimeoutMs ran out (resolving included). With `reads`, the socket
   * reads into its reused buffers (a tunnel's target); without, it emits 'data' (node:http).
   */
  dial(target: Target, signal: AbortSignal, reads?: UpstreamReads): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      let settled = false;
      let attempt: net.Socket | undefined;
      const finish = (err: Error | undefined, socket?: net.Socket): void => {
        if (settled) {
          socket?.destroy();
          return;
        }
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (err !== undefined) {
          attempt?.destroy();
          reject(err);
        } else {
          resolve(socket as net.Socket);
        }
      };
      const timer = setTimeout(() => finish(new PlugdError("PLUGD_ERR_CONNECT_TIMEOUT", `No connection to ${target.text} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      const onAbort = (): void => finish(new PlugdError("PLUGD_ERR_CONNECT_ABORTED", `The client went away while ${target.text} was being dialled`));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });

      const tryAddress = (addresses: readonly IpAddress[], i: number, last: Error | undefined): void => {
        if (settled) return;
        const ip = addresses[i];
        if (ip === undefined) {
          const why = (last as NodeJS.ErrnoException | undefined)?.code ?? "failed";
          return finish(new PlugdError("PLUGD_ERR_CONNECT_REFUSED", `The connection to ${target.text} failed (${why})`));
        }
        let socket: net.Socket;
        try {
          const options = { host: ip.address, port: target.port, family: ip.family, allowHalfOpen: true, noDelay: true };
          socket = net.connect(reads === undefined ? options : { ...options, onread: reads.onread });
        } catch (err) {
          return tryAddress(addresses, i + 1, err as Error);
        }
        attempt = socket;
        const onError = (err: Error): void => {
          socket.destroy();
          tryAddress(addresses, i + 1, err);
        };
        socket.once("error", onError);
        socket.once("connect", () => {
          socket.off("error", onError);
          finish(undefined, socket);
        });
      };

      this.#resolve(target).then(
        (addresses) => {
          if (settled) return;
          // Every address, not just the first: a name with one public and one private address
          // would otherwise reach the private one on a retry or a fallback.
          for (const ip of addresses) {
            if (!this.#policy.permits(ip) || this.#listeners.includes(ip, target.port)) {
              return finish(new PlugdError("PLUGD_ERR_CONNECT_ADDRESS_DENIED", `${target.text} is not an allowed destination`));
            }
          }
          tryAddress(addresses, 0, undefined);
        },
        (err: NodeJS.ErrnoException) => finish(new PlugdError("PLUGD_ERR_CONNECT_DNS", `${target.name} does not resolve (${err.code ?? "error"})`)),
      );
    });
  }

  async #resolve(target: Target): Promise<IpAddress[]> {
    if (target.ip !== undefined) return [target.ip];
    // One lookup, every address (all: true), in the resolver's order (verbatim).
    const found = await lookup(target.lookup, { all: true, verbatim: true });
    const out: IpAddress[] = [];
    for (const entry of found) {
      const ip = canonicalIp(entry.address);
      if (ip !== undefined && !out.some((o) => o.address === ip.address)) out.push(ip);
    }
    if (out.length === 0) throw Object.assign(new Error("no addresses"), { code: "ENODATA" });
    return out;
  }
}
