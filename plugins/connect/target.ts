// The proxy target: "host:port" from a CONNECT request-target (authority-form, RFC 9112 §3.2.3)
// or an absolute-form URL's authority (RFC 9112 §3.2.2), and the allow-list it must match.
import { canonicalIp, type IpAddress } from "./addresses.ts";

export interface Target {
  /** Lower-case name without a trailing dot, or the canonical IP address (no brackets). */
  readonly name: string;
  readonly port: number;
  /** Set when the host is an IP literal. */
  readonly ip: IpAddress | undefined;
  /** What to resolve: the host as sent, without brackets. */
  readonly lookup: string;
  /** "host:port" for messages and logs. */
  readonly text: string;
}

// RFC 1123 §2.1 host names, plus "_" (seen in real DNS). Anything else (percent-encoding,
// sub-delims the URI grammar allows in reg-name) is not a name a resolver should be asked about.
const NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;
// getaddrinfo() reads "127.1", "0x7f.1" or "2130706433" as IPv4 addresses (inet_aton); a real
// name never ends in an all-numeric label (RFC 3696 §2). Refused, so no pattern is judged
// against a name that is secretly an address.
const NUMERIC_LABEL = /(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)$/;

/**
 * Parses "host:port" ("[v6]:port"); a missing port is `defaultPort` (absolute-form only:
 * authority-form always has one, the parser made sure). Undefined when the host is unusable.
 */
export function parseTarget(authority: string, defaultPort?: number): Target | undefined {
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) return undefined;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return undefined;
    portText = rest === "" ? undefined : rest.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
  }
  // RFC 3986 §3.2.3: an empty port is the scheme's default.
  const port = portText === undefined || portText === "" ? defaultPort : /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
  if (port === undefined || port < 1 || port > 65535) return undefined;
  const ip = canonicalIp(host);
  if (ip !== undefined) {
    if (host.includes("%")) return undefined; // an IPv6 zone names an interface, not a host
    return { name: ip.address, port, ip, lookup: ip.address, text: `${ip.family === 6 ? `[${ip.address}]` : ip.address}:${port}` };
  }
  if (authority.startsWith("[")) return undefined; // IPvFuture
  let name = host.toLowerCase();
  if (name.endsWith(".")) name = name.slice(0, -1); // the root label: the same name
  if (name.length === 0 || name.length > 253 || !NAME.test(name) || NUMERIC_LABEL.test(name)) return undefined;
  return { name, port, ip: undefined, lookup: name, text: `${name}:${port}` };
}

interface Pattern {
  /** "*" any; ".example.com" suffix; else the exact name or canonical address. */
  readonly host: string;
  readonly low: number;
  readonly high: number;
}

/** The `allow` option: "host:port" patterns (see schemas/plugins/connect.schema.json). */
export class AllowList {
  readonly #patterns: Pattern[];

  /** Throws on a pattern the schema let through but that cannot be right (port 0, a range upside down). */
  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map(compile);
  }

  matches(target: Target): boolean {
    for (const p of this.#patterns) {
      if (target.port < p.low || target.port > p.high) continue;
      if (p.host === "*") return true;
      if (p.host.startsWith(".")) {
        if (target.ip === undefined && target.name.endsWith(p.host)) return true;
      } else if (p.host === target.name) {
        return true;
      }
    }
    return false;
  }
}

function compile(text: string): Pattern {
  const colon = text.lastIndexOf(":");
  const hostText = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  let low = 1;
  let high = 65535;
  if (portText !== "*") {
    const [a, b = a] = portText.split("-");
    low = Number(a);
    high = Number(b);
    if (!(low >= 1 && high <= 65535 && low <= high)) throw new Error(`allow: ${JSON.stringify(text)} has a port outside 1-65535 or a range upside down`);
  }
  let host: string;
  if (hostText === "*") host = "*";
  else if (hostText.startsWith("*.")) host = hostText.slice(1).toLowerCase().replace(/\.$/, "");
  else if (hostText.startsWith("[")) {
    const ip = canonicalIp(hostText.slice(1, -1));
    if (ip === undefined) throw new Error(`allow: ${JSON.stringify(text)}: ${hostText} is not an IPv6 address`);
    host = ip.address;
  } else {
    host = canonicalIp(hostText)?.address ?? hostText.toLowerCase().replace(/\.$/, "");
  }
  return { host, low, high };
}
