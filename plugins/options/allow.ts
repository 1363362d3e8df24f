// Which methods a target supports: the `Allow` of OPTIONS and of a 405 (RFC 9110 §10.2.1,
// §15.5.6). The server knows which methods some plugin handles (`server.methods`); which of them
// apply to one target only the plugin knows, so a method plugin declares a predicate:
//
//   declareMethod(server, "PUT", (target) => target.stats === undefined || target.stats.isFile());
//
// Without a declaration: OPTIONS applies to anything, POST to a file whose extension a gateway
// registered (plugins/shared/scripts.ts), any other method to a target that exists.
// The registry is per server and works whether or not the `options` plugin is on (`post` uses
// it for its 405). The list is advice to the client, not a promise: a request can still fail.
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { error as errorResponse, type Response } from "../../core/http/response.ts";
import type { Server } from "../../core/server.ts";
import { resolveExisting, type FilePolicy } from "../shared/files.ts";
import { isGatewayScript, scriptExtensions } from "../shared/scripts.ts";

export interface TargetFacts {
  readonly server: Server;
  /** The request path (normalized, decoded once). */
  readonly path: string;
  /** The entry (symlinks followed); undefined when nothing is there. */
  readonly stats: Stats | undefined;
  /** For a missing target: whether its parent folder exists (a PUT could create it). */
  readonly parentExists: boolean;
}

export type MethodPredicate = (target: TargetFacts) => boolean;

const registry = new WeakMap<Server, Map<string, MethodPredicate>>();

/** A plugin says for which targets its method applies (call it from apply()). */
export function declareMethod(server: Server, method: string, predicate: MethodPredicate): void {
  let map = registry.get(server);
  if (map === undefined) {
    map = new Map();
    registry.set(server, map);
  }
  map.set(method, predicate);
}

function defaultPredicate(method: string): MethodPredicate {
  if (method === "OPTIONS") return () => true;
  if (method === "POST") return (t) => t.stats?.isFile() === true && isGatewayScript(t.path, scriptExtensions(t.server));
  return (t) => t.stats !== undefined;
}

/** The methods of `server.methods` that apply to the target, in server order. */
export function methodsFor(facts: TargetFacts): string[] {
  const declared = registry.get(facts.server);
  return facts.server.methods.filter((m) => (declared?.get(m) ?? defaultPredicate(m))(facts));
}

export interface Allowed {
  /** Something is there (a file or folder the policy shows). */
  readonly exists: boolean;
  /** False when the target does not exist and no method but OPTIONS could act on it: answer 404. */
  readonly found: boolean;
  readonly methods: string[];
}

/** Looks the target up under the root (with `policy`) and lists the methods that apply to it. */
export async function allowedFor(server: Server, urlPath: string, policy: FilePolicy): Promise<Allowed> {
  const resolved = await resolveExisting(server.config.root, urlPath, policy);
  let facts: TargetFacts;
  if (resolved.ok) {
    facts = { server, path: urlPath, stats: resolved.stats, parentExists: true };
  } else if (resolved.reason === "ENOENT") {
    facts = { server, path: urlPath, stats: undefined, parentExists: await parentIsFolder(server.config.root, urlPath) };
  } else {
    // Hidden (dotfile), outside the root, refused: the same answer as for nothing at all.
    return { exists: false, found: false, methods: [] };
  }
  const methods = methodsFor(facts);
  const exists = facts.stats !== undefined;
  return { exists, found: exists || methods.some((m) => m !== "OPTIONS"), methods };
}

async function parentIsFolder(root: string, urlPath: string): Promise<boolean> {
  const trimmed = urlPath.endsWith("/") ? urlPath.slice(0, -1) : urlPath;
  try {
    return (await stat(path.join(root, path.posix.dirname(trimmed)))).isDirectory();
  } catch {
    return false;
  }
}

/**
 * 405 for `method` on a target it does not apply to (a plugin scoped by `paths`), with the
 * methods that do apply in `Allow` (RFC 9110 §15.5.6).
 */
export async function methodNotAllowed(server: Server, urlPath: string, method: string, policy: FilePolicy): Promise<Response> {
  const allowed = await allowedFor(server, urlPath, policy);
  return errorResponse(405, `${method} is not allowed here`, { allow: allowed.methods.filter((m) => m !== method).join(", ") });
}
