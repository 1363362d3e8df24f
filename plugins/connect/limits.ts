// How many tunnels (and forwarded requests) may be open: in total (503) and per client (429).
// A slot is held from admission (before the name is resolved: resolving and dialling are the
// costly part) until the upstream connection closes.
import { PlugdError } from "../../core/errors.ts";
import { canonicalIp, ipv6Bytes } from "./addresses.ts";

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

export class TunnelLimits {
  readonly #max: number;
  readonly #perClient: number;
  readonly #clients = new Map<string, number>();
  #open = 0;

  constructor(max: number, perClient: number) {
    this.#max = max;
    this.#perClient = perClient;
  }

  /** Tunnels open now (for tests and the bench). */
  get open(): number {
    return this.#open;
  }

  /** Takes a slot for `remoteAddress`, or throws the 503/429 PlugdError. */
  acquire(remoteAddress: string): Release {
    if (this.#open >= this.#max) throw new PlugdError("PLUGD_ERR_CONNECT_TOO_MANY", "Too many tunnels are open; try again later");
    const key = clientKey(remoteAddress);
    const mine = this.#clients.get(key) ?? 0;
    // RFC 6585 §4: 429 is about this client's rate, not the server's load.
    if (mine >= this.#perClient) throw new PlugdError("PLUGD_ERR_CONNECT_CLIENT_LIMIT", "Too many tunnels are open from your address");
    this.#open++;
    this.#clients.set(key, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      const left = (this.#clients.get(key) ?? 1) - 1;
      if (left === 0) this.#clients.delete(key);
      else this.#clients.set(key, left);
    };
  }
}

/** IPv4 clients by address; IPv6 clients by /64 (one host usually holds a whole /64). */
function clientKey(address: string): string {
  const ip = canonicalIp(address);
  if (ip === undefined) return address;
  if (ip.family === 4) return ip.address;
  return Buffer.from(ipv6Bytes(ip.address).subarray(0, 8)).toString("hex") + "/64";
}
