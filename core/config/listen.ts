// "host:port" and "[v6]:port" listen addresses.
import { isIPv4, isIPv6 } from "node:net";
import type { ListenAddress } from "./types.ts";

export type ParsedListen = { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly reason: string };

// RFC 1123 §2.1 host names: labels of letters, digits and inner hyphens, 253 characters at most.
const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Parses a listen address. The host is an IPv4 address, a host name, or an IPv6 address in
 * brackets; `host` is returned without the brackets. Port 0 asks the system for a free port.
 * There is no "any host" shorthand (":8080", "*:8080"): write 0.0.0.0 or [::].
 */
export function parseListenAddress(text: string): ParsedListen {
  const fail = (reason: string): ParsedListen => ({ ok: false, reason });
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return fail('unclosed "[": expected "[IPv6]:port", e.g. "[::1]:8080"');
    host = text.slice(1, close);
    if (!isIPv6(host)) return fail(`${JSON.stringify(host)} is not an IPv6 address`);
    if (text[close + 1] !== ":") return fail('missing port: expected "[IPv6]:port", e.g. "[::1]:8080"');
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return fail('missing port: expected "host:port", e.g. "127.0.0.1:8080"');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      return fail(isIPv6(host) ? `an IPv6 address goes in brackets: "[${host}]:${portText}"` : 'expected "host:port" or "[IPv6]:port"');
    }
    if (host === "" || host === "*") return fail('missing host: write "0.0.0.0" (all IPv4) or "[::]" (all IPv6 and IPv4) for every interface');
    if (/^[\d.]+$/.test(host)) {
      if (!isIPv4(host)) return fail(`${JSON.stringify(host)} is not an IPv4 address`);
    } else if (!HOSTNAME.test(host)) {
      return fail(`${JSON.stringify(host)} is not a valid host name`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    return fail(`port ${JSON.stringify(portText)} is not an integer from 0 to 65535`);
  }
  return { ok: true, address: { text, host, port: Number(portText) } };
}

/**
 * A key equal for two addresses that name the same socket: host names lower-cased, IPv6
 * written the one canonical way (RFC 5952). Hosts that merely overlap (0.0.0.0 and
 * 127.0.0.1 on one port) are left for listen() to refuse.
 */
export function listenKey(address: ListenAddress): string {
  let host = address.host.toLowerCase().replace(/\.$/, "");
  if (isIPv6(host) && !host.includes("%")) host = new URL(`http://[${host}]/`).hostname;
  return `${host} ${address.port}`;
}
