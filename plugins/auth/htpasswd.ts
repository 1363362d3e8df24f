// Apache htpasswd files: "user:hash" lines. We accept the formats Apache's htpasswd writes
// that are still worth verifying: bcrypt (-B), Apache MD5 (-m) and {SHA} (-s). Anything else
// (plaintext, crypt(3) DES, $1$/$5$/$6$) is refused when the file is read, naming the file and
// the line, never the line's content: it may be a password.

export type HashKind = "bcrypt" | "apr1" | "sha";

export interface StoredHash {
  readonly kind: HashKind;
  /** The hash as written in the file. */
  readonly hash: string;
  /** bcrypt's log2 rounds; 0 for the other kinds. */
  readonly cost: number;
}

export interface UserTable {
  readonly users: ReadonlyMap<string, StoredHash>;
  /** The (kind, cost) most entries use: what an unknown user's dummy verification costs. */
  readonly typical: { readonly kind: HashKind; readonly cost: number };
}

/** A line that cannot be used; `line` is 1-based. */
export class HtpasswdError extends Error {
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = "HtpasswdError";
    this.line = line;
  }
}

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
// Apache's apr_md5_encode: "$apr1$" + salt of up to 8 characters + "$" + 22 characters.
const APR1 = /^\$apr1\$[^$:]{0,8}\$[./0-9A-Za-z]{22}$/;
// Base64 of a 20-byte SHA-1 digest.
const SHA = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;

const FORMATS = "plugd accepts bcrypt ($2y$, htpasswd -B), Apache MD5 ($apr1$, htpasswd -m) and {SHA} (htpasswd -s)";

/** Which format a stored hash is in, or why it is refused. */
export function classify(hash: string): StoredHash | { readonly refused: string } {
  const b = BCRYPT.exec(hash);
  if (b !== null) {
    const cost = Number(b[1]);
    if (cost < 4 || cost > 31) return { refused: `bcrypt cost ${cost} is outside 4..31` };
    return { kind: "bcrypt", hash, cost };
  }
  if (APR1.test(hash)) return { kind: "apr1", hash, cost: 0 };
  if (SHA.test(hash)) return { kind: "sha", hash, cost: 0 };
  if (/^\$(1|5|6|2[a-z]?|apr1)\$/.test(hash)) return { refused: `the hash is malformed or in a crypt(3) format plugd does not verify; ${FORMATS}` };
  if (hash.startsWith("{SHA}")) return { refused: "the {SHA} hash is not base64 of 20 bytes" };
  // Apache on Unix would try crypt(3) DES here and on Windows compare as plaintext; a 13-character
  // DES hash and a plaintext password look alike, and both are too weak to accept.
  return { refused: `the password is plaintext or crypt(3) DES, which plugd refuses; ${FORMATS}` };
}

/**
 * Parses htpasswd text. Blank lines and lines starting with "#" are skipped, as Apache's
 * mod_authn_file does; fields after a second ":" are ignored (Apache reads them as groups).
 * Throws HtpasswdError for a line without a user or hash, a refused hash, or a user twice
 * (a stale entry left by hand would keep an old password working).
 */
export function parseHtpasswd(text: string, file: string): UserTable {
  const users = new Map<string, StoredHash>();
  const firstLine = new Map<string, number>();
  const counts = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = (lines[i] as string).replace(/\s+$/, "");
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HtpasswdError(file, lineNo, colon === 0 ? "the user name is empty" : 'not a "user:hash" line');
    const user = line.slice(0, colon);
    if (/[\u0000-\u001f\u007f]/.test(user)) throw new HtpasswdError(file, lineNo, "the user name holds a control character");
    const rest = line.slice(colon + 1);
    const end = rest.indexOf(":");
    const hash = end === -1 ? rest : rest.slice(0, end);
    if (hash === "") throw new HtpasswdError(file, lineNo, `user ${JSON.stringify(user)} has no password hash`);
    const seen = firstLine.get(user);
    if (seen !== undefined) throw new HtpasswdError(file, lineNo, `user ${JSON.stringify(user)} is already defined on line ${seen}`);
    const stored = classify(hash);
    if ("refused" in stored) throw new HtpasswdError(file, lineNo, `user ${JSON.stringify(user)}: ${stored.refused}`);
    users.set(user, stored);
    firstLine.set(user, lineNo);
    const key = `${stored.kind}:${stored.cost}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { users, typical: typicalOf(counts) };
}

/** The most used (kind, cost); bcrypt cost 10 for an empty file. */
function typicalOf(counts: ReadonlyMap<string, number>): UserTable["typical"] {
  let best: string | undefined;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount) {
      best = key;
      bestCount = count;
    }
  }
  if (best === undefined) return { kind: "bcrypt", cost: 10 };
  const [kind, cost] = best.split(":") as [HashKind, string];
  return { kind, cost: Number(cost) };
}
