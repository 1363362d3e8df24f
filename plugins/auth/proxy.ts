// Which requests are proxy requests, whose credentials go in Proxy-Authorization (RFC 9110
// §11.7): CONNECT (RFC 9110 §9.3.6), and absolute-form requests (RFC 9112 §3.2.2) that name a
// host other than this server. A client sends absolute-form only to a proxy, but an origin
// server must accept it (RFC 9112 §3.2.2), so one naming this server is an ordinary request.
import type { Request } from "../../core/http/request.ts";

export function isProxyRequest(request: Request): boolean {
  if (request.method === "CONNECT") return true;
  if (request.targetForm !== "absolute") return false;
  return !namesThisServer(request);
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1"]);

function namesThisServer(request: Request): boolean {
  const { host, port } = splitAuthority(request.authority, request.target.slice(0, 6).toLowerCase() === "https:" ? 443 : 80);
  const c = request.connection;
  if (port !== c.localPort) return false;
  const local = unmapped(c.localAddress.toLowerCase());
  if (host === local) return true;
  return LOOPBACK_NAMES.has(host) && (local === "::1" || local.startsWith("127."));
}

/** "host:port", "[v6]:port" or "host" -> lower-case host without brackets, and the port. */
export function splitAuthority(authority: string, defaultPort: number): { host: string; port: number } {
  const a = authority.toLowerCase();
  if (a.startsWith("[")) {
    const close = a.indexOf("]");
    const port = a.slice(close + 1).startsWith(":") ? Number(a.slice(close + 2)) : defaultPort;
    return { host: a.slice(1, close), port };
  }
  const colon = a.lastIndexOf(":");
  if (colon === -1) return { host: a, port: defaultPort };
  return { host: a.slice(0, colon), port: Number(a.slice(colon + 1)) };
}

function unmapped(address: string): string {
  return address.startsWith("::ffff:") && address.indexOf(".") !== -1 ? address.slice(7) : address;
}
