// The Basic scheme (RFC 7617): reading credentials from Authorization / Proxy-Authorization and
// writing the challenge.

export interface Credentials {
  readonly user: string;
  /** The password's bytes as sent (what the hash functions take). */
  readonly password: Buffer;
}

/** Longest decoded user-pass we verify: bcrypt reads 72 bytes, and apr1's cost grows with length. */
const MAX_DECODED = 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The credentials in a field value, or undefined when there are none usable: no field, another
 * scheme, bad base64, no ":", invalid UTF-8 or a control character (RFC 7617 §2: user-id and
 * password MUST NOT contain control characters). A repeated field arrives joined with ", "
 * (core HeaderFields.get), which is never valid base64: two credentials are no credentials.
 */
export function parseBasic(value: string | undefined): Credentials | undefined {
  if (value === undefined) return undefined;
  // RFC 9110 §11.1: the auth-scheme is case-insensitive; one or more spaces before the token68.
  if (value.length < 7 || value.slice(0, 6).toLowerCase() !== "basic ") return undefined;
  const token = value.slice(6).trimStart();
  if (token.length % 4 !== 0 || token.length > Math.ceil(MAX_DECODED / 3) * 4 || !BASE64.test(token)) return undefined;
  const decoded = Buffer.from(token, "base64");
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return undefined;
  let user: string;
  try {
    user = utf8.decode(decoded.subarray(0, colon));
    // The password is hashed as bytes, but must be UTF-8 too: bcryptjs takes a string.
    const password = utf8.decode(decoded.subarray(colon + 1));
    if (CONTROL.test(user) || CONTROL.test(password)) return undefined;
  } catch {
    return undefined;
  }
  return { user, password: decoded.subarray(colon + 1) };
}

/** `Basic realm="...", charset="UTF-8"` (RFC 7617 §2.1), the realm as a quoted-string (RFC 9110 §5.6.4). */
export function challenge(realm: string): string {
  return `Basic realm="${realm.replace(/["\\]/g, "\\$&")}", charset="UTF-8"`;
}
