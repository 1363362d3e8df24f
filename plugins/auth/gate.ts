// The authorize tap's decision for one request: not protected (pass), 429 (too many failures),
// 401/407 (no or bad credentials), 403 (a user the rule does not allow), or pass with
// `request.user` set. WWW and proxy credentials take the same path through here and the verifier.
import type { MaybeResponse } from "../../core/hooks.ts";
import type { Request } from "../../core/http/request.ts";
import { error, type Response } from "../../core/http/response.ts";
import { challenge, parseBasic } from "./basic.ts";
import type { AuthOptions } from "./options.ts";
import { isProxyRequest } from "./proxy.ts";
import { matchRules, type Rule } from "./rules.ts";
import type { Throttle } from "./throttle.ts";
import type { UsersFile } from "./users-file.ts";
import type { Verifier } from "./verify.ts";

/** Where credentials come from and how to ask for them. */
interface Scheme {
  readonly credentials: "authorization" | "proxy-authorization";
  readonly challenge: "www-authenticate" | "proxy-authenticate";
  readonly status: 401 | 407;
}
// RFC 9110 §11.6.1 / §15.5.2 and §11.7.1 / §15.5.8.
const WWW: Scheme = { credentials: "authorization", challenge: "www-authenticate", status: 401 };
const PROXY: Scheme = { credentials: "proxy-authorization", challenge: "proxy-authenticate", status: 407 };

interface ProxyDemand {
  readonly realm: string;
  readonly allowed: readonly ReadonlySet<string>[];
}

const PASS: Promise<MaybeResponse> = Promise.resolve(undefined);
const NO_USERS: readonly ReadonlySet<string>[] = [];

export interface GateParts {
  readonly rules: readonly Rule[];
  readonly realm: string;
  readonly proxy: AuthOptions["proxy"];
  readonly users: UsersFile;
  readonly verifier: Verifier;
  readonly throttle: Throttle;
}

export class Gate {
  readonly #rules: readonly Rule[];
  readonly #realm: string;
  readonly #proxy: ProxyDemand | undefined;
  readonly #users: UsersFile;
  readonly #verifier: Verifier;
  readonly #throttle: Throttle;

  constructor(parts: GateParts) {
    this.#rules = parts.rules;
    this.#realm = parts.realm;
    this.#users = parts.users;
    this.#verifier = parts.verifier;
    this.#throttle = parts.throttle;
    const p = parts.proxy;
    this.#proxy =
      p === false ? undefined : { realm: (p === true ? undefined : p.realm) ?? parts.realm, allowed: p !== true && p.users !== undefined ? [new Set(p.users)] : NO_USERS };
  }

  check(request: Request): Promise<MaybeResponse> {
    if (this.#proxy !== undefined && isProxyRequest(request)) {
      return this.#authenticate(request, PROXY, this.#proxy.realm, this.#proxy.allowed);
    }
    const demand = matchRules(this.#rules, request.path, request.method, this.#realm);
    if (demand === undefined) return PASS;
    return this.#authenticate(request, WWW, demand.realm, demand.allowed);
  }

  #authenticate(request: Request, scheme: Scheme, realm: string, allowed: readonly ReadonlySet<string>[]): Promise<MaybeResponse> {
    const now = Date.now();
    this.#users.touch(now);
    const address = request.remoteAddress;
    const wait = this.#throttle.retryAfter(address, now);
    if (wait > 0) return Promise.resolve(tooMany(wait));
    const value = request.headers.get(scheme.credentials);
    const table = this.#users.table;
    const verifier = this.#verifier;
    // The hot path: credentials that passed before, against the same stored hash: no parsing, no slow hash.
    const known = value === undefined ? undefined : verifier.recall(table, value, request.connection);
    if (known !== undefined) return admit(request, known, allowed);
    const credentials = parseBasic(value);
    if (credentials === undefined) {
      // A missing field is how every browser starts; an unusable one is a failed attempt.
      if (value !== undefined) this.#throttle.fail(address, now);
      return Promise.resolve(ask(scheme, realm));
    }
    const user = credentials.user;
    const key = verifier.key(value as string);
    // The same credentials are being verified for another request: share that result; not a new guess.
    const running = verifier.inFlight(key);
    if (running !== undefined) return running.then((ok) => (ok ? admit(request, user, allowed) : ask(scheme, realm)));
    const busy = this.#throttle.begin(address, now);
    if (busy > 0) return Promise.resolve(tooMany(busy));
    const verified = verifier.verify(table, user, credentials.password, key, value as string, request.connection);
    if (typeof verified === "boolean") return this.#verified(request, address, scheme, realm, user, allowed, verified);
    return verified.then((ok) => this.#verified(request, address, scheme, realm, user, allowed, ok));
  }

  #verified(request: Request, address: string, scheme: Scheme, realm: string, user: string, allowed: readonly ReadonlySet<string>[], ok: boolean): Promise<MaybeResponse> {
    this.#throttle.end(address, ok);
    return ok ? admit(request, user, allowed) : Promise.resolve(ask(scheme, realm));
  }
}

/** A verified user: set on the request (also for a 403, so the log says who was refused); 403 unless every matching rule allows them. */
function admit(request: Request, user: string, allowed: readonly ReadonlySet<string>[]): Promise<MaybeResponse> {
  request.user = { name: user, authType: "Basic" };
  for (let i = 0; i < allowed.length; i++) if (!(allowed[i] as ReadonlySet<string>).has(user)) return Promise.resolve(error(403));
  return PASS;
}

/** RFC 6585 §4. */
function tooMany(seconds: number): Response {
  return error(429, undefined, { "retry-after": String(seconds) });
}

function ask(scheme: Scheme, realm: string): Response {
  return error(scheme.status, undefined, { [scheme.challenge]: challenge(realm) });
}
