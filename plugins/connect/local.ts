// What "this server" is: its listeners (a CONNECT to one would loop back into the server, one
// tunnel feeding the next), and the names an absolute-form request may use for it.
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import type { Request } from "../../core/http/request.ts";
import { canonicalIp, type IpAddress } from "./addresses.ts";
import type { Target } from "./target.ts";

const INTERFACES_TTL_MS = 5000;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);

export class Listeners {
  readonly #addresses: () => readonly (AddressInfo | null)[];
  #interfaces: Set<string> | undefined;
  #interfacesAt = 0;

  /** `addresses`: the server's bound listeners (server.addresses), read when needed. */
  constructor(addresses: () => readonly (AddressInfo | null)[]) {
    this.#addresses = addresses;
  }

  /** Whether `ip`:`port` is one of the server's listeners (a wildcard listener: any local address). */
  includes(ip: IpAddress, port: number): boolean {
    for (const listener of this.#addresses()) {
      // A listener already closed (the server is stopping) has no address any more.
      if (listener === null || listener.port !== port) continue;
      const bound = canonicalIp(listener.address);
      if (bound === undefined) continue;
      if (bound.address === "0.0.0.0" || bound.address === "::") {
        // A wildcard listener answers on every local address ("::" on IPv4 ones too, dual-stack).
        if (this.#localAddresses().has(ip.address)) return true;
      } else if (bound.address === ip.address) {
        return true;
      }
    }
    return false;
  }

  #localAddresses(): Set<string> {
    const now = Date.now();
    if (this.#interfaces === undefined || now - this.#interfacesAt > INTERFACES_TTL_MS) {
      const set = new Set<string>(["0.0.0.0", "::"]);
      for (const list of Object.values(networkInterfaces())) {
        for (const info of list ?? []) {
          const ip = canonicalIp(info.address);
          if (ip !== undefined) set.add(ip.address);
        }
      }
      this.#interfaces = set;
      this.#interfacesAt = now;
    }
    return this.#interfaces;
  }
}

/**
 * Whether an absolute-form request names this server, so it is served as an ordinary request
 * (RFC 9112 §3.2.2: an origin server must accept absolute-form). Deliberately at least as wide
 * as the auth plugin's view (plugins/auth/proxy.ts): whatever auth treats as a local request
 * (no proxy credentials asked) is never forwarded from here.
 */
export function namesThisServer(request: Request, target: Target, listeners: Listeners, serverNames: ReadonlySet<string>): boolean {
  const local = request.connection;
  const localIp = canonicalIp(local.localAddress);
  if (target.port === local.localPort) {
    if (serverNames.has(target.name)) return true;
    if (target.ip !== undefined && localIp !== undefined && target.ip.address === localIp.address) return true;
    // localhost on a loopback listener: the same host, the same port.
    if (localIp !== undefined && isLoopback(localIp) && (LOOPBACK_NAMES.has(target.name) || (target.ip !== undefined && isLoopback(target.ip)))) return true;
  }
  return target.ip !== undefined && listeners.includes(target.ip, target.port);
}

function isLoopback(ip: IpAddress): boolean {
  return ip.family === 4 ? ip.address.startsWith("127.") : ip.address === "::1";
}
