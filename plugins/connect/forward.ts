// Forwarding a plain-HTTP absolute-form request (`GET http://host/path`, what `curl -x` sends)
// to its target, streamed both ways (RFC 9110 §7.6, RFC 9112 §3.2.2).
//
// node:http is used here as an HTTP *client*, for the upstream leg only, on a socket the Dialer
// opened to an address it checked. The rule that keeps node:http out of the request path
// (docs/design.md §6) is about our server side: the client's request was parsed by our parser.
import http from "node:http";
import type { Socket } from "node:net";
import { PlugdError } from "../../core/errors.ts";
import type { Request } from "../../core/http/request.ts";
import type { Response, ResponseHeaders } from "../../core/http/response.ts";

/** Methods forwarded. TRACE is not: it would echo the client's credentials back (XST). */
export const FORWARDED_METHODS: readonly string[] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

/** This hop's name in Via (RFC 9110 §7.6.3). */
const PSEUDONYM = "plugd";

// RFC 9110 §7.6.1: hop-by-hop fields, meant for this connection only; plus every Proxy-*
// (our credentials and challenges, and the non-standard Proxy-Connection).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);

/** The field names a message's Connection header lists (RFC 9110 §7.6.1), lower-cased. */
function connectionOptions(values: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const value of values) for (const token of value.split(",")) out.add(token.trim().toLowerCase());
  return out;
}

function isHopByHop(name: string, named: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || named.has(name) || name.startsWith("proxy-");
}

/** The request's fields for the next hop, as a flat [name, value, ...] list. */
export function forwardedRequestFields(request: Request): string[] {
  const named = connectionOptions(request.headers.getAll("connection"));
  // RFC 9112 §3.2.2: a proxy replaces Host with the target's authority.
  const out: string[] = ["host", request.authority];
  const via: string[] = [];
  for (const [name, value] of request.headers) {
    if (isHopByHop(name, named) || name === "host") continue;
    if (name === "via") {
      via.push(value);
      continue;
    }
    // The body is taken as soon as the request is forwarded: the core has already answered
    // the client's 100-continue, so the next hop is not asked to wait for it.
    if (name === "expect") continue;
    if (name === "max-forwards" && request.method === "OPTIONS") {
      // RFC 9110 §7.6.2: decrement on the way through (a 0 is answered before we get here).
      out.push(name, String(Math.max(0, Number(value) - 1)));
      continue;
    }
    out.push(name, value);
  }
  via.push(`${request.version} ${PSEUDONYM}`);
  out.push("via", via.join(", "));
  return out;
}

/** The upstream response's fields for the client: hop-by-hop removed, Via added. */
export function forwardedResponseFields(raw: readonly string[], version: string): ResponseHeaders {
  const connection: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === "connection") connection.push(raw[i + 1] as string);
  const named = connectionOptions(connection);
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (isHopByHop(name, named)) continue;
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  const via = out.via;
  const mine = `${version} ${PSEUDONYM}`;
  out.via = via === undefined ? mine : Array.isArray(via) ? [...via, mine] : [via, mine];
  return out;
}

/**
 * Sends `request` to the target over `socket` and resolves with the target's response, its
 * body streaming. `idleTimeoutMs` bounds the silence on the upstream socket (waiting for the
 * head: 504; later the body fails and the core closes the client's connection).
 */
export function forward(request: Request, socket: Socket, idleTimeoutMs: number): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let answered = false;
    const fail = (err: Error): void => {
      if (answered) return;
      answered = true;
      socket.destroy();
      reject(err);
    };
    const path = request.head.rawPath + (request.query === "" ? "" : `?${request.query}`);
    const upstream = http.request(
      // No `agent`: with createConnection alone the request uses our socket (agent: false would
      // make a fresh Agent that dials by name, skipping the address check).
      { method: request.method, path, headers: forwardedRequestFields(request), setHost: false, createConnection: () => socket },
      (res) => {
        answered = true;
        request.signal.removeEventListener("abort", onAbort);
        resolve({ status: res.statusCode ?? 502, headers: forwardedResponseFields(res.rawHeaders, res.httpVersion), body: res });
      },
    );
    upstream.on("error", (err: NodeJS.ErrnoException) => fail(new PlugdError("PLUGD_ERR_CONNECT_UPSTREAM", `The request to ${request.authority} failed (${err.code ?? err.message})`)));
    socket.setTimeout(idleTimeoutMs, () => {
      fail(new PlugdError("PLUGD_ERR_CONNECT_TIMEOUT", `${request.authority} sent no response within ${idleTimeoutMs} ms`));
      socket.destroy();
    });
    const onAbort = (): void => fail(new PlugdError("PLUGD_ERR_CONNECT_ABORTED", "The client went away"));
    request.signal.addEventListener("abort", onAbort, { once: true });
    if (!request.hasBody) {
      upstream.end();
      return;
    }
    const body = request.stream();
    body.on("error", (err) => upstream.destroy(err));
    body.pipe(upstream);
  });
}
