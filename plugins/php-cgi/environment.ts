// The script's environment (RFC 3875 §4.1, plus what PHP needs), built once per request and
// used by both modes: spawned php-cgi gets it as its environment, FastCGI as PARAMS.
//
// Values are byte strings: one char per byte (latin1), so FastCGI writes them unchanged.
// Header values already are (the parser decodes them as latin1); paths are Unicode strings
// and are turned into their UTF-8 bytes here.
import type { Request } from "../../core/http/request.ts";

/** Where a request's script is (locate.ts). */
export interface ScriptTarget {
  /** The script's URL path: "/app/index.php" (decoded). */
  readonly scriptName: string;
  /** The script file, symlinks resolved. */
  readonly filename: string;
  /** The part of the path after the script: "/x/y", or "" when none (decoded). */
  readonly pathInfo: string;
}

export interface EnvironmentSettings {
  /** The web root, symlinks resolved. */
  readonly documentRoot: string;
  readonly passAuthorization: boolean;
  /** The body's length when there is one (a chunked body after it was spooled), else undefined. */
  readonly contentLength: number | undefined;
  /** Where the request was internally redirected from (a local Location), if it was. */
  readonly redirectedFrom?: Request;
}

/** Variable name -> value (a byte string). A Map: ~30 entries per request, set in order, iterated once. */
export type Environment = Map<string, string>;

// RFC 3875 §4.1.18: the server need not pass a field it already represents (Content-Length,
// Content-Type) nor credentials (Authorization, Proxy-Authorization); Proxy is httpoxy
// (CVE-2016-5385: HTTP_PROXY would be read as the script's outgoing proxy). Transfer-Encoding
// described a body the script gets de-chunked.
const NOT_PASSED = new Set(["content-length", "content-type", "authorization", "proxy-authorization", "proxy", "transfer-encoding"]);
/** Only names of letters, digits and "-" become HTTP_* variables (below). */
const PLAIN_NAME = /^[A-Za-z0-9-]+$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** A Unicode string as its UTF-8 bytes, one char per byte. */
export function utf8Bytes(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, "utf8").toString("latin1") : text;
}

/** HTTP_* names already made: the same few header names come with every request. */
const NAMES = new Map<string, string>();
const MAX_NAMES = 1000;

/** The name of the HTTP_* variable for a (lower-case) field name. */
function variableName(field: string): string {
  let name = NAMES.get(field);
  if (name === undefined) {
    name = "HTTP_" + field.toUpperCase().replace(/-/g, "_");
    // Bounded: names are the client's to choose.
    if (NAMES.size < MAX_NAMES) NAMES.set(field, name);
  }
  return name;
}

/** The host the client addressed, without its port: "example.com", "[::1]", "127.0.0.1". */
export function serverName(authority: string, fallback: string): string {
  if (authority === "") return fallback;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    return close === -1 ? authority : authority.slice(0, close + 1).toLowerCase();
  }
  const colon = authority.lastIndexOf(":");
  return (colon === -1 ? authority : authority.slice(0, colon)).toLowerCase();
}

/** REQUEST_URI: the path and query as the client sent them (for absolute-form, without scheme and authority). */
function requestUri(request: Request): string {
  if (request.targetForm === "origin") return request.target;
  const raw = request.head.rawPath === "" ? "/" : request.head.rawPath;
  return request.target.includes("?") ? `${raw}?${request.query}` : raw;
}

/**
 * The environment for running `target` for `request`. Every variable the server sets is set
 * after the HTTP_* ones and from the server's own facts, and no HTTP_* name can equal one of
 * them (they all lack the prefix), so a client header can neither create nor overwrite them.
 */
export function buildEnvironment(request: Request, target: ScriptTarget, settings: EnvironmentSettings): Environment {
  const env: Environment = new Map();
  // Header fields first (RFC 3875 §4.1.18): HTTP_ + upper case, "-" -> "_", repeats joined.
  const flat = request.headers.flat;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string;
    if (NOT_PASSED.has(name) && (name !== "authorization" || !settings.passAuthorization)) continue;
    // "X-Foo" and "X_Foo" would both be HTTP_X_FOO: the underscore one could stand in for a
    // header a proxy in front checked or set (nginx and Apache drop them too). Other token
    // characters ("." "!" ...) make no portable variable name.
    if (!PLAIN_NAME.test(name)) continue;
    const key = variableName(name);
    const value = flat[i + 1] as string;
    const had = env.get(key);
    // RFC 9110 §5.3 joins repeats with ", "; Cookie with "; " (RFC 6265 §5.4).
    env.set(key, had === undefined ? value : had + (name === "cookie" ? "; " : ", ") + value);
  }

  const connection = request.connection;
  const documentRoot = utf8Bytes(settings.documentRoot);
  const user = request.user;
  // RFC 3875 §4.1.1-§4.1.17, in the RFC's order.
  if (user !== undefined) env.set("AUTH_TYPE", user.authType);
  if (settings.contentLength !== undefined) env.set("CONTENT_LENGTH", String(settings.contentLength));
  const contentType = request.headers.get("content-type");
  if (contentType !== undefined) env.set("CONTENT_TYPE", contentType);
  env.set("GATEWAY_INTERFACE", "CGI/1.1");
  if (target.pathInfo !== "") {
    const pathInfo = utf8Bytes(target.pathInfo);
    env.set("PATH_INFO", pathInfo);
    // §4.1.6: PATH_INFO mapped to a file as if it were a document path.
    env.set("PATH_TRANSLATED", documentRoot + pathInfo);
  }
  env.set("QUERY_STRING", request.query);
  env.set("REMOTE_ADDR", connection.remoteAddress);
  // §4.1.9: no reverse lookup (its cost on every request): the address stands in for the name.
  env.set("REMOTE_HOST", connection.remoteAddress);
  if (user !== undefined) env.set("REMOTE_USER", utf8Bytes(user.name));
  env.set("REQUEST_METHOD", request.method);
  env.set("SCRIPT_NAME", utf8Bytes(target.scriptName));
  env.set("SERVER_NAME", serverName(request.authority, connection.localAddress));
  env.set("SERVER_PORT", String(connection.localPort));
  env.set("SERVER_PROTOCOL", request.version === "1.1" ? "HTTP/1.1" : "HTTP/1.0");
  env.set("SERVER_SOFTWARE", "plugd");
  // What PHP and its applications need besides.
  env.set("REDIRECT_STATUS", "200"); // php-cgi's cgi.force_redirect: proof a server ran it
  env.set("SCRIPT_FILENAME", utf8Bytes(target.filename));
  env.set("DOCUMENT_ROOT", documentRoot);
  env.set("REQUEST_URI", requestUri(request));
  env.set("REQUEST_SCHEME", connection.encrypted ? "https" : "http");
  env.set("SERVER_ADDR", connection.localAddress);
  env.set("REMOTE_PORT", String(connection.remotePort));
  if (connection.encrypted) env.set("HTTPS", "on");
  const from = settings.redirectedFrom;
  if (from !== undefined) {
    // As Apache names them for an internal redirect: where the client asked first.
    env.set("REDIRECT_URL", requestUri(from).split("?")[0] as string);
    env.set("REDIRECT_QUERY_STRING", from.query);
  }
  return env;
}

/**
 * The environment for a spawned php-cgi: Node encodes strings as UTF-8, so each byte string
 * is turned back into text (exact for UTF-8 bytes; any other byte becomes U+FFFD). `base`
 * adds PATH and TMPDIR from plugd's own environment and nothing else of it.
 */
export function processEnvironment(env: Environment, base: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...base };
  for (const [key, value] of env) out[key] = NON_LATIN_ASCII.test(value) ? Buffer.from(value, "latin1").toString("utf8") : value;
  return out;
}

const NON_LATIN_ASCII = /[\x80-\xff]/;

/** What a spawned php-cgi inherits from plugd's environment: PATH (for what scripts run) and TMPDIR (uploads). */
export function inheritedEnvironment(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const base: Record<string, string> = { PATH: source.PATH ?? "/usr/local/bin:/usr/bin:/bin" };
  if (source.TMPDIR !== undefined) base.TMPDIR = source.TMPDIR;
  return base;
}
