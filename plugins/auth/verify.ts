// Password verification against htpasswd hashes: one code path for WWW and proxy credentials.
// - Comparisons are constant-time (crypto.timingSafeEqual) on the computed and stored hashes.
// - An unknown user costs one hash of the file's typical format and cost (a dummy), so response
//   times do not tell which user names exist.
// - A successful verification is remembered in a bounded LRU, so bcrypt runs once, not on every
//   request (Caddy issue #3462: bcrypt on every request made Basic auth the bottleneck). The key
//   is a SHA-256 of the credentials as sent (user and password; never kept in the clear), the
//   entry holds the user and the stored hash it was checked against: a remembered proof counts
//   only while the file still holds that very hash, so a changed password takes effect at once.
//   Each connection's last proof is also kept (weakly, with the field as sent) so a keep-alive
//   client's next request costs a constant-time comparison instead of a SHA-256.
//   Failures are never remembered.
import { createHash, hash as oneShotHash, randomBytes, timingSafeEqual } from "node:crypto";
import apacheMd5 from "apache-md5";
import bcrypt from "bcryptjs";
import type { HashKind, StoredHash, UserTable } from "./htpasswd.ts";

// apache-md5 is CommonJS with an ESM-style declaration: under NodeNext the default import is
// typed as the module, while at run time it is the function itself (as ajv-formats in core/config/ajv.ts).
type AprMd5 = (password: string, salt?: string) => string;
const aprMd5: AprMd5 = (apacheMd5 as unknown as { default?: AprMd5 }).default ?? (apacheMd5 as unknown as AprMd5);

/** Counters tests and operators can read: how often each slow path ran. */
export interface VerifierStats {
  /** Hashes computed to verify a password (bcrypt, apr1 or SHA-1), dummies included. */
  hashes: number;
  /** Of those, bcrypt runs. */
  bcrypt: number;
  /** Of those, dummy runs for unknown users. */
  dummies: number;
  /** Verifications answered from the cache. */
  cacheHits: number;
}

/** What a remembered success proved: this user, against this stored hash. */
interface Proof {
  readonly user: string;
  readonly hash: string;
}

export class Verifier {
  readonly stats: VerifierStats = { hashes: 0, bcrypt: 0, dummies: 0, cacheHits: 0 };
  readonly #cache: Lru<Proof>;
  readonly #dummies = new Map<string, StoredHash | Promise<StoredHash>>();
  readonly #inFlight = new Map<string, Promise<boolean>>();
  /** Per connection (weakly held: gone with it), the credentials it last proved. */
  readonly #lastProof = new WeakMap<object, Proof & { readonly credentials: string }>();

  constructor(cacheSize: number) {
    this.#cache = new Lru(cacheSize);
  }

  /** The key of a credentials field value (as sent): its SHA-256. The other methods take this. */
  key(credentials: string): string {
    return sha256(credentials);
  }

  /**
   * The user that `credentials` (the field value as sent) proved before, while the users file
   * still holds the hash they were proved against; else undefined. First the connection's last
   * proof (a keep-alive client sends the same field every time: a constant-time comparison, no
   * hash), then the LRU (one SHA-256).
   */
  recall(table: UserTable, credentials: string, connection: object): string | undefined {
    if (this.#cache.capacity === 0) return undefined;
    const last = this.#lastProof.get(connection);
    if (last !== undefined && sameSecret(last.credentials, credentials) && table.users.get(last.user)?.hash === last.hash) {
      this.stats.cacheHits++;
      return last.user;
    }
    const key = sha256(credentials);
    const proof = this.#cache.get(key);
    if (proof === undefined) return undefined;
    if (table.users.get(proof.user)?.hash !== proof.hash) {
      this.#cache.delete(key);
      return undefined;
    }
    this.#lastProof.set(connection, { credentials, user: proof.user, hash: proof.hash });
    this.stats.cacheHits++;
    return proof.user;
  }

  /**
   * The verification of the same credentials already running, if any: a client that opens
   * many connections at once with the same credentials costs one bcrypt, not one per connection.
   */
  inFlight(key: string): Promise<boolean> | undefined {
    return this.#inFlight.get(key);
  }

  /**
   * Whether `password` (the bytes the client sent) is `user`'s password in `table`: a boolean
   * when the format is fast, a promise when a slow hash must run. A success is remembered under
   * `key` (of `credentials`) and as `connection`'s last proof, for recall().
   */
  verify(table: UserTable, user: string, password: Buffer, key: string, credentials: string, connection: object): boolean | Promise<boolean> {
    const stored = table.users.get(user);
    if (stored === undefined) {
      this.stats.dummies++;
      const dummy = this.#dummy(table.typical.kind, table.typical.cost);
      const run = (d: StoredHash): boolean | Promise<boolean> => {
        const r = this.#check(d, password);
        return typeof r === "boolean" ? false : r.then(() => false);
      };
      return dummy instanceof Promise ? this.#track(key, dummy.then(run)) : run(dummy);
    }
    const remember = (ok: boolean): boolean => {
      if (ok && this.#cache.capacity > 0) {
        this.#cache.set(key, { user, hash: stored.hash });
        this.#lastProof.set(connection, { credentials, user, hash: stored.hash });
      }
      return ok;
    };
    const result = this.#check(stored, password);
    return typeof result === "boolean" ? remember(result) : this.#track(key, result.then(remember));
  }

  #track(key: string, running: Promise<boolean>): Promise<boolean> {
    this.#inFlight.set(key, running);
    const done = (): void => {
      if (this.#inFlight.get(key) === running) this.#inFlight.delete(key);
    };
    running.then(done, done);
    return running;
  }

  /** Makes the dummy for (kind, cost) ahead of the first unknown user (bcrypt's costs time). */
  prepare(table: UserTable): Promise<void> {
    const d = this.#dummy(table.typical.kind, table.typical.cost);
    return d instanceof Promise ? d.then(() => undefined) : Promise.resolve();
  }

  #check(stored: StoredHash, password: Buffer): boolean | Promise<boolean> {
    this.stats.hashes++;
    switch (stored.kind) {
      case "sha":
        // {SHA}: base64 of the SHA-1 of the password bytes (htpasswd -s).
        return equal(createHash("sha1").update(password).digest("base64"), stored.hash.slice(5));
      case "apr1":
        // apache-md5 hashes its string argument as "ascii" (one byte per char code): give it the
        // password bytes one per char, so non-ASCII passwords hash as htpasswd hashed them.
        return equal(aprMd5(password.toString("latin1"), stored.hash), stored.hash);
      case "bcrypt": {
        this.stats.bcrypt++;
        // bcryptjs takes a string and hashes its UTF-8; credentials were decoded as UTF-8 (RFC 7617
        // charset="UTF-8"), so this gives back the bytes the client sent.
        return bcrypt.hash(password.toString("utf8"), stored.hash.slice(0, 29)).then((computed) => equal(computed, stored.hash));
      }
    }
  }

  #dummy(kind: HashKind, cost: number): StoredHash | Promise<StoredHash> {
    const id = `${kind}:${cost}`;
    let dummy = this.#dummies.get(id);
    if (dummy === undefined) {
      const secret = randomBytes(18).toString("base64");
      if (kind === "sha") dummy = { kind, cost, hash: `{SHA}${createHash("sha1").update(secret).digest("base64")}` };
      else if (kind === "apr1") dummy = { kind, cost, hash: aprMd5(secret) };
      else {
        const made = bcrypt.hash(secret, cost).then((hash): StoredHash => {
          const ready = { kind, cost, hash };
          this.#dummies.set(id, ready);
          return ready;
        });
        made.catch(() => this.#dummies.delete(id));
        dummy = made;
      }
      this.#dummies.set(id, dummy);
    }
    return dummy;
  }
}

/**
 * Constant-time string equality (for equal lengths): a client on a connection shared by a proxy
 * must not learn from timing how much of its field matches the previous client's.
 */
function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function equal(computed: string, stored: string): boolean {
  const a = Buffer.from(computed);
  const b = Buffer.from(stored);
  // Lengths are fixed per format; a mismatch only says the stored hash is odd, not the password.
  return a.length === b.length && timingSafeEqual(a, b);
}

// crypto.hash (one-shot, Node >= 20.12) is about 3x cheaper than createHash for short inputs.
const sha256: (text: string) => string =
  typeof oneShotHash === "function" ? (text) => oneShotHash("sha256", text, "base64") : (text) => createHash("sha256").update(text).digest("base64");

/**
 * A map of at most `capacity` entries that forgets the least recently used first, by "second
 * chance" (CLOCK): a hit only marks its entry, and eviction moves marked entries to the back
 * (unmarked) instead of dropping them. A hit costs one Map lookup, not a delete and re-insert.
 */
class Lru<V> {
  readonly capacity: number;
  readonly #entries = new Map<string, { readonly value: V; used: boolean }>();
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    entry.used = true;
    return entry.value;
  }
  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, used: false });
    if (this.#entries.size <= this.capacity) return;
    // Oldest first; a marked entry gets another round at the back. Ends within size + 1 steps.
    for (const [k, entry] of this.#entries) {
      this.#entries.delete(k);
      if (!entry.used) return;
      entry.used = false;
      this.#entries.set(k, entry);
    }
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
}
