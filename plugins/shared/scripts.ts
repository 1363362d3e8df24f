// Which file extensions a gateway executes on a server (DESIGN §8: PUT never creates a file the
// gateway would execute). A gateway (php-cgi) registers its extensions from its apply():
//
//   addScriptExtensions(server, options.extensions);   // e.g. [".php"]
//
// and reads them back with scriptExtensions(server). `put` refuses a path with any of them
// (and its own `scriptExtensions` option, which covers the usual suspects even when no gateway
// is on this server: the same folder may be served by another server that runs them);
// `options` and `post` list POST for a file a registered gateway answers.
// Nothing is registered until a gateway registers: the registry starts empty.
// Registration happens in apply(), and apply order is config order, so readers look the set up
// per request (a WeakMap lookup), never copy it in their own apply().
import type { Server } from "../../core/server.ts";

const registry = new WeakMap<Server, Set<string>>();

/** ".PHP", "php" -> ".php": extensions are compared lower-case, with their dot. */
export function normalizeExtension(ext: string): string {
  const lower = ext.toLowerCase();
  return lower.startsWith(".") ? lower : "." + lower;
}

/** A gateway declares the extensions it executes on `server`. */
export function addScriptExtensions(server: Server, extensions: Iterable<string>): void {
  let set = registry.get(server);
  if (set === undefined) {
    set = new Set();
    registry.set(server, set);
  }
  for (const ext of extensions) set.add(normalizeExtension(ext));
}

const NONE: ReadonlySet<string> = new Set();

/** The extensions gateways on `server` execute (lower-case, with the dot); empty when none registered. */
export function scriptExtensions(server: Server): ReadonlySet<string> {
  return registry.get(server) ?? NONE;
}

/** The extension of the last segment of a URL path, lower-case ("" when none). */
export function lastExtension(urlPath: string): string {
  const slash = urlPath.lastIndexOf("/");
  const dot = urlPath.lastIndexOf(".");
  return dot > slash + 1 ? urlPath.slice(dot).toLowerCase() : "";
}

/** True when the path's last segment has one of `extensions` (what a gateway answers). */
export function isGatewayScript(urlPath: string, extensions: ReadonlySet<string>): boolean {
  return extensions.size > 0 && extensions.has(lastExtension(urlPath));
}

/**
 * The first script extension found in any segment of `urlPath`, or undefined. Stricter than
 * isGatewayScript, for what a PUT may create:
 * - every segment counts, not just the last: "/x.php/y" makes a folder a gateway may treat as
 *   the script with PATH_INFO "/y"; "/x.jpg/y.php" is a script in a folder;
 * - every extension of a segment counts, not just the last: "x.php.jpg" is run as PHP by
 *   Apache's mod_mime (AddHandler matches any extension), and the folder may be served by one;
 * - a segment that is all extension (".php") counts too.
 * Case-insensitive: "X.PhP" is ".php" to a case-insensitive file system or handler match.
 */
export function findScriptExtension(urlPath: string, ...lists: ReadonlySet<string>[]): string | undefined {
  if (urlPath.indexOf(".") === -1) return undefined;
  for (const segment of urlPath.split("/")) {
    const parts = segment.toLowerCase().split(".");
    for (let i = 1; i < parts.length; i++) {
      const ext = "." + (parts[i] as string);
      for (const list of lists) if (list.has(ext)) return ext;
    }
  }
  return undefined;
}
