// RFC 3875 §6.2.2, the local redirect: a script that answers only "Location: /path" asks the
// server to serve that path instead. We make a GET request for it (whatever the first method
// was, as Apache does: the body belonged to the first script) and run it through `authorize`
// again (the new path may be protected where the first was not) and then `handle.for("GET")`,
// so it reaches a script, a static file or any other handler like a client's request would.
// The redirects of one client request are counted through request.locals; past
// MAX_INTERNAL_REDIRECTS the answer is 500.
import type { Server } from "../../core/server.ts";
import { HeaderFields, type RequestHead } from "../../core/http/head.ts";
import { normalizePath } from "../../core/http/path.ts";
import { Request } from "../../core/http/request.ts";
import { error as errorResponse, type Response } from "../../core/http/response.ts";

export const MAX_INTERNAL_REDIRECTS = 10;
export const LOCALS_KEY = "php-cgi";

/** What an internally redirected request carries in its locals. */
export interface RedirectState {
  /** Redirects so far (1 for the first). */
  readonly depth: number;
  /** The client's request: its signal tells when the client leaves; REDIRECT_URL names it. */
  readonly origin: Request;
}

export function redirectState(request: Request): RedirectState | undefined {
  return request.locals.get(LOCALS_KEY) as RedirectState | undefined;
}

// Fields that described the first request's body, which the new request does not have.
const BODY_FIELDS = new Set(["content-length", "content-type", "transfer-encoding", "expect"]);

/** A GET request for `location` ("/path?query"), with the first request's other header fields; undefined when the path is not acceptable. */
export function redirectedRequest(from: Request, location: string, state: RedirectState): Request | undefined {
  const hash = location.indexOf("#");
  const target = hash === -1 ? location : location.slice(0, hash);
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  // The same decoding and checks the core applies to a client's path.
  const normalized = normalizePath(rawPath);
  if (!normalized.ok || /[\x00-\x20\x7f]/.test(target)) return undefined;
  const flat: string[] = [];
  for (const [name, value] of from.headers) {
    if (!BODY_FIELDS.has(name)) flat.push(name, value);
  }
  const head: RequestHead = {
    ...from.head,
    method: "GET",
    target,
    targetForm: "origin",
    headers: new HeaderFields(flat),
    rawPath,
    query,
    bodyKind: "none",
    contentLength: 0,
    expectContinue: false,
  };
  const request = new Request(head, normalized.path, from.server, from.connection, undefined);
  request.user = from.user;
  request.locals.set(LOCALS_KEY, state);
  return request;
}

/** Serves `request` as the server would a client's GET (authorize, then handle). */
export async function dispatch(server: Server, request: Request): Promise<Response> {
  const hooks = server.hooks;
  if (hooks.authorize.isUsed()) {
    const denied = await hooks.authorize.promise(request);
    if (denied) return denied;
  }
  const handle = hooks.handle.get("GET");
  const answer = handle !== undefined && handle.isUsed() ? await handle.promise(request) : undefined;
  return answer ?? errorResponse(404);
}
