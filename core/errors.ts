// The one error registry (DESIGN §7). Every error plugd raises has a stable code here.
// Codes are never reused or renamed; docs/errors.md documents each one (a test checks).
// Match errors by `code`, never by `instanceof`.

export interface ErrorSpec {
  /** HTTP status when the error maps to a response; undefined for start-up errors. */
  readonly status?: number;
  /** Whether the message may be shown to the client. */
  readonly expose: boolean;
  /** One line: what went wrong, for the docs and the default message. */
  readonly summary: string;
}

const spec = (summary: string, status?: number, expose = status !== undefined && status < 500): ErrorSpec =>
  status === undefined ? { summary, expose } : { summary, status, expose };

export const ERRORS = Object.freeze({
  // --- the wire (parser and connection); the core answers these itself, then closes
  PLUGD_ERR_HTTP_BAD_REQUEST_LINE: spec("Malformed request line", 400),
  PLUGD_ERR_HTTP_BAD_METHOD: spec("Method is not a token", 400),
  PLUGD_ERR_HTTP_BAD_TARGET: spec("Malformed or disallowed request-target form", 400),
  PLUGD_ERR_HTTP_BAD_VERSION: spec("Malformed HTTP-version", 400),
  PLUGD_ERR_HTTP_VERSION_NOT_SUPPORTED: spec("HTTP version other than 1.0 or 1.1", 505),
  PLUGD_ERR_HTTP_BAD_LINE_ENDING: spec("Bare CR or bare LF used as a line ending", 400),
  PLUGD_ERR_HTTP_BAD_HEADER_NAME: spec("Header field name is empty or not a token", 400),
  PLUGD_ERR_HTTP_SPACE_BEFORE_COLON: spec("Whitespace between a field name and its colon", 400),
  PLUGD_ERR_HTTP_BAD_HEADER_VALUE: spec("Header field value holds a control character", 400),
  PLUGD_ERR_HTTP_OBS_FOLD: spec("Obsolete line folding in a header field", 400),
  PLUGD_ERR_HTTP_MISSING_HOST: spec("HTTP/1.1 request without a Host field", 400),
  PLUGD_ERR_HTTP_REPEATED_HOST: spec("More than one Host field", 400),
  PLUGD_ERR_HTTP_BAD_HOST: spec("Host field is not a valid authority", 400),
  PLUGD_ERR_HTTP_BAD_CONTENT_LENGTH: spec("Content-Length is not a single decimal number", 400),
  PLUGD_ERR_HTTP_REPEATED_CONTENT_LENGTH: spec("Content-Length given more than once", 400),
  PLUGD_ERR_HTTP_CL_AND_TE: spec("Both Content-Length and Transfer-Encoding", 400),
  PLUGD_ERR_HTTP_BAD_TRANSFER_ENCODING: spec("Transfer-Encoding whose final coding is not chunked", 400),
  PLUGD_ERR_HTTP_TE_IN_HTTP10: spec("Transfer-Encoding in an HTTP/1.0 request", 400),
  PLUGD_ERR_HTTP_UNKNOWN_TRANSFER_CODING: spec("Transfer coding other than chunked", 501),
  PLUGD_ERR_HTTP_BAD_CHUNK: spec("Malformed chunk size, extension or delimiter", 400),
  PLUGD_ERR_HTTP_BAD_TRAILER: spec("Malformed trailer field", 400),
  PLUGD_ERR_HTTP_TARGET_TOO_LONG: spec("Request-target longer than limits.maxTargetLength", 414),
  PLUGD_ERR_HTTP_HEADERS_TOO_LARGE: spec("Header section larger than limits.maxHeaderBytes", 431),
  PLUGD_ERR_HTTP_BODY_TOO_LARGE: spec("Body larger than limits.maxBodyBytes", 413),
  PLUGD_ERR_HTTP_EXPECTATION_FAILED: spec("Expect value other than 100-continue", 417),
  PLUGD_ERR_HTTP_HEADERS_TIMEOUT: spec("Header section not complete within limits.headersTimeoutMs", 408),
  PLUGD_ERR_HTTP_BODY_TIMEOUT: spec("Body idle for longer than limits.bodyTimeoutMs", 408),
  PLUGD_ERR_HTTP_BODY_INCOMPLETE: spec("Connection closed before the body was complete", 400),
  PLUGD_ERR_HTTP_HEAD_INCOMPLETE: spec("Connection closed before the request head was complete", 400),
  PLUGD_ERR_HTTP_BAD_PATH: spec("Path with %2F, %5C, %00, control bytes, bad UTF-8 or climbing above /", 400),
  PLUGD_ERR_HTTP_STATUS: spec("A plugin answered with an HTTP error status (HttpError)"),

  // --- the lifecycle
  PLUGD_ERR_HOOK_NOT_FOUND: spec("No plugin answered the request", 404),
  PLUGD_ERR_HOOK_METHOD_NOT_ALLOWED: spec("Known method that no plugin provides", 405),
  PLUGD_ERR_HOOK_NOT_IMPLEMENTED: spec("Method unknown to this server", 501),
  PLUGD_ERR_HOOK_TAP_FAILED: spec("A plugin's tap threw or rejected", 500, false),
  PLUGD_ERR_HOOK_TAP_AFTER_LISTEN: spec("A plugin tapped a hook after the server started listening"),
  PLUGD_ERR_HOOK_BAD_RESULT: spec("A tap returned something that is not a Response", 500, false),
  PLUGD_ERR_BODY_ALREADY_READ: spec("The request body was read twice"),
  PLUGD_ERR_SERVER_OVERLOADED: spec("Too many connections (limits.maxConnections)", 503),

  // --- method plugins: post, put, delete
  PLUGD_ERR_POST_LENGTH_REQUIRED: spec("POST without Content-Length or chunked framing", 411),
  PLUGD_ERR_POST_NO_CONTENT_TYPE: spec("POST content without a Content-Type", 400),
  PLUGD_ERR_POST_UNSUPPORTED_TYPE: spec("POST Content-Type not in the post plugin's contentTypes", 415),
  PLUGD_ERR_PUT_LENGTH_REQUIRED: spec("PUT without Content-Length or chunked framing", 411),
  PLUGD_ERR_PUT_CONTENT_RANGE: spec("Content-Range on a PUT (partial PUT is not supported, RFC 9110 §14.5)", 400),
  PLUGD_ERR_PUT_CONTENT_ENCODING: spec("PUT with a Content-Encoding other than identity", 415),
  PLUGD_ERR_PUT_SCRIPT: spec("PUT would create a file a gateway executes", 403),
  PLUGD_ERR_PUT_FORBIDDEN: spec("PUT refused: dotfile, symlink, special file, the root, or the OS said no", 403),
  PLUGD_ERR_PUT_CONFLICT: spec("PUT target's parent folder is missing, or the target is a folder", 409),
  PLUGD_ERR_PUT_PRECONDITION_FAILED: spec("PUT precondition (If-Match, If-None-Match, If-Unmodified-Since) failed", 412),
  PLUGD_ERR_PUT_NO_SPACE: spec("PUT could not store the body: disk full, quota or file-size limit", 507),
  PLUGD_ERR_DELETE_FORBIDDEN: spec("DELETE refused: the root, a dotfile, a symlink, or the OS said no", 403),
  PLUGD_ERR_DELETE_NOT_EMPTY: spec("DELETE of a folder that is not empty (without the recursive option)", 409),
  PLUGD_ERR_DELETE_PRECONDITION_FAILED: spec("DELETE precondition (If-Match, If-None-Match, If-Unmodified-Since) failed", 412),

  // --- the PHP gateway (php-cgi)
  PLUGD_ERR_PHP_UNAVAILABLE: spec("The PHP gateway cannot run scripts: php-cgi was not found, or its FastCGI pool is not running", 503),
  PLUGD_ERR_PHP_OVERLOADED: spec("Every PHP script slot is busy and the queue is full, or the wait in the queue outlasted timeoutMs", 503),
  PLUGD_ERR_PHP_BAD_GATEWAY: spec("The PHP backend failed, or answered with missing or malformed CGI response headers", 502),
  PLUGD_ERR_PHP_TIMEOUT: spec("A PHP script was silent for longer than timeoutMs and was stopped", 504),
  PLUGD_ERR_PHP_REDIRECT_LOOP: spec("More than 10 internal redirects (a local Location from a script) for one request", 500),

  // --- auth
  PLUGD_ERR_AUTH_USERS_FILE: spec("The auth plugin's users (htpasswd) file cannot be read, or has a line it refuses (plaintext, unknown format, duplicate user)"),

  // --- the CONNECT proxy (connect)
  PLUGD_ERR_CONNECT_BAD_TARGET: spec("Proxy target whose host is not a usable name or address", 400),
  PLUGD_ERR_CONNECT_NOT_ALLOWED: spec("Proxy target host:port not on the connect plugin's allow-list", 403),
  PLUGD_ERR_CONNECT_ADDRESS_DENIED: spec("Proxy target resolves to a refused address (loopback, private, link-local, reserved, or this server's own listener)", 403),
  PLUGD_ERR_CONNECT_NOT_FORWARDED: spec("Absolute-form request for another host while forwardHttp is off, or for a scheme or method that is not forwarded", 403),
  PLUGD_ERR_CONNECT_CLIENT_LIMIT: spec("Too many tunnels open from this client (connect maxTunnelsPerClient)", 429),
  PLUGD_ERR_CONNECT_TOO_MANY: spec("Too many tunnels open on this server (connect maxTunnels)", 503),
  PLUGD_ERR_CONNECT_DNS: spec("Proxy target's name does not resolve", 502, true),
  PLUGD_ERR_CONNECT_REFUSED: spec("Proxy target refused or failed the connection", 502, true),
  PLUGD_ERR_CONNECT_TIMEOUT: spec("Proxy target not connected within connectTimeoutMs, or a forwarded request's response head not within idleTimeoutMs", 504, true),
  PLUGD_ERR_CONNECT_UPSTREAM: spec("Forwarded request failed before the target's response head arrived", 502, true),
  PLUGD_ERR_CONNECT_ABORTED: spec("The client went away while the proxy target was being dialled (logged, never sent)", 502, false),

  // --- configuration and start-up
  PLUGD_ERR_CONFIG_READ: spec("The configuration file cannot be read"),
  PLUGD_ERR_CONFIG_JSON: spec("The configuration file is not valid JSON"),
  PLUGD_ERR_CONFIG_INVALID: spec("The configuration does not match its schema"),
  PLUGD_ERR_CONFIG_UNKNOWN_PLUGIN: spec("A plugin id names no built-in plugin and no module"),
  PLUGD_ERR_CONFIG_PLUGIN_OPTIONS: spec("A plugin's options do not match its schema"),
  PLUGD_ERR_PLUGIN_LOAD: spec("A plugin module cannot be loaded or has no valid plugin"),
  PLUGD_ERR_PLUGIN_DEPENDENCY: spec("A plugin needs another plugin that is not enabled"),
  PLUGD_ERR_PLUGIN_APPLY: spec("A plugin's apply() threw"),
  PLUGD_ERR_SERVER_LISTEN: spec("An address cannot be listened on"),
} satisfies Record<string, ErrorSpec>);

export type ErrorCode = keyof typeof ERRORS;

/** An error with a stable code. `status`/`expose` come from the registry. */
export class PlugdError extends Error {
  readonly code: ErrorCode;
  readonly status: number | undefined;
  readonly expose: boolean;
  /** Extra facts for logs (never shown to a client). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    const entry: ErrorSpec = ERRORS[code];
    super(message ?? entry.summary, options);
    this.name = "PlugdError";
    this.code = code;
    this.status = entry.status;
    this.expose = entry.expose;
    this.details = details;
  }
}

/**
 * An error a plugin throws to answer with a status (`throw new HttpError(403, "...")`).
 * Plugins that want a stable code of their own use PlugdError with a registered code instead.
 */
export class HttpError extends Error {
  readonly code = "PLUGD_ERR_HTTP_STATUS";
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(status: number, message?: string, headers?: Record<string, string>) {
    super(message ?? `HTTP ${status}`);
    this.name = "HttpError";
    this.status = status;
    this.expose = status < 500;
    this.headers = headers;
  }
}

/** True when `err` carries a code (ours or any other library's Node-style code). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}
