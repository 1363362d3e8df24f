// Escaping for log lines (DESIGN §8: no log injection). A request target, a header or a
// plugin's message may hold CR, LF, quotes or any other byte; once escaped it can neither end
// a line early nor close a quoted field, so every line parses (goaccess, awk, logfmt readers).
// Rules as Apache's mod_log_config and nginx's escape=default: `"` -> `\"`, `\` -> `\\`, bytes
// below 0x20, 0x7f and above 0x7f -> `\xHH`. Header strings come from the parser as latin1
// (one char per byte); a char above 0xff (a plugin's own text) is written as its UTF-8 bytes.

// Anything outside printable ASCII, a quote or a backslash.
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/;
// Also a space: for bare (unquoted) fields such as %u, where a space would shift the columns.
const NEEDS_ESCAPE_BARE = /[\x00-\x20"\\\x7f-\uffff]/;

const HEX = "0123456789abcdef";

function hexByte(byte: number): string {
  return "\\x" + HEX[byte >> 4] + HEX[byte & 15];
}

function escapeFrom(value: string, start: number, escapeSpace: boolean): string {
  let out = value.slice(0, start);
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += "\\\\";
    else if (code < 0x20 || code === 0x7f || (code === 0x20 && escapeSpace)) out += hexByte(code);
    else if (code < 0x7f) out += value[i];
    else if (code <= 0xff) out += hexByte(code);
    else {
      // Outside latin1: the UTF-8 bytes of the code point (a lone surrogate becomes U+FFFD).
      const cp = value.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      for (const byte of Buffer.from(String.fromCodePoint(cp), "utf8")) out += hexByte(byte);
    }
  }
  return out;
}

/** For a quoted field ("%r", referer, user agent): safe between double quotes, on one line. */
export function escapeQuoted(value: string): string {
  const m = NEEDS_ESCAPE.exec(value);
  return m === null ? value : escapeFrom(value, m.index, false);
}

/** For a bare field (%u): also escapes spaces, so the field count of the line never changes. */
export function escapeBare(value: string): string {
  const m = NEEDS_ESCAPE_BARE.exec(value);
  return m === null ? value : escapeFrom(value, m.index, true);
}

// Fields whose values are credentials: never written, whatever the log (DESIGN §8).
const SECRET_FIELDS = new Set(["authorization", "proxy-authorization", "cookie"]);
const REDACTED = "[redacted]";

/** True for a header (or field) name whose value is never logged. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(name.toLowerCase());
}

/**
 * A rejected request's raw head with the values of Authorization, Proxy-Authorization and
 * Cookie replaced, also when the head is malformed: any of CR, LF or CRLF ends a line (a bare
 * CR or LF may be why the request was rejected), the name is compared without surrounding
 * whitespace or control bytes (`Cookie :`), and an obs-fold continuation (RFC 9112 §5.2) of a
 * redacted field is redacted too.
 */
export function redactHead(raw: Buffer): Buffer {
  const text = raw.toString("latin1");
  if (!/authorization|cookie/i.test(text)) return raw;
  const parts = text.split(/(\r\n|\r|\n)/);
  let redacting = false;
  for (let i = 0; i < parts.length; i += 2) {
    const line = parts[i] as string;
    if (line.length > 0 && (line[0] === " " || line[0] === "\t")) {
      if (redacting) parts[i] = line[0] + REDACTED;
      continue;
    }
    redacting = false;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).replace(/[\x00-\x20\x7f]/g, "");
    if (isSecretField(name)) {
      parts[i] = line.slice(0, colon + 1) + " " + REDACTED;
      redacting = true;
    }
  }
  return Buffer.from(parts.join(""), "latin1");
}

// JSON text safe to copy byte for char: printable ASCII without `"` and `\` needs no escaping.
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const NON_ASCII = /[\u007f-\uffff]/g;

function uEscape(c: string): string {
  return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * JSON text made ASCII-only: characters from U+007F up become \uXXXX escapes (JSON.stringify
 * leaves them as they are). Safe on a whole JSON document: such characters only occur inside
 * its strings. Log files are written byte for char (log-file.ts), so every line is ASCII.
 */
export function asciiJson(json: string): string {
  return json.replace(NON_ASCII, uEscape);
}

/** A JSON string literal of `value`, ASCII-only (quotes, backslash, controls and non-ASCII escaped). */
export function jsonString(value: string): string {
  return JSON_PLAIN.test(value) ? `"${value}"` : asciiJson(JSON.stringify(value));
}
