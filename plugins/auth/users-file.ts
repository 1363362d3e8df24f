// The users file, kept current while the server runs. It is re-read when it changes: fs.watch on
// its folder (a folder watch sees editors and `plugd passwd` that write a new file and rename it
// over the old one, which a watch on the file itself would lose), plus a stat at most once a
// second on access, for file systems where watching says nothing (NFS, some containers).
// A file that fails to read or parse keeps the last good users; the failure is reported once
// per version of the file, never with the file's content.
import { EventEmitter } from "node:events";
import { watch, type FSWatcher, type Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { PlugdError } from "../../core/errors.ts";
import { HtpasswdError, parseHtpasswd, type UserTable } from "./htpasswd.ts";

export interface UsersFileEvents {
  /** A new version was read and is in use. */
  reload: [UserTable];
  /** A new version could not be used; the last good users stay. */
  failed: [PlugdError];
}

const STAT_INTERVAL_MS = 1000;

export class UsersFile extends EventEmitter<UsersFileEvents> {
  readonly file: string;
  #table: UserTable | undefined;
  /** Identity of the version in use, or of the last one that failed (not retried until it changes). */
  #seen = "";
  #watcher: FSWatcher | undefined;
  #lastStat = 0;
  #checking: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #prepare: (table: UserTable) => Promise<void>;

  /** `prepare` runs on each new table before it is used (the verifier makes its dummy hash). */
  constructor(file: string, prepare: (table: UserTable) => Promise<void>) {
    super();
    this.file = file;
    this.#prepare = prepare;
  }

  /** The users in use. Only after load() has resolved. */
  get table(): UserTable {
    if (this.#table === undefined) throw new Error("users file not loaded");
    return this.#table;
  }

  /** First read: throws PLUGD_ERR_AUTH_USERS_FILE so the server does not start without users. */
  async load(): Promise<void> {
    const { table, identity } = await this.#read();
    await this.#prepare(table);
    this.#table = table;
    this.#seen = identity;
    this.#lastStat = Date.now();
  }

  /** Starts watching. A folder that cannot be watched leaves the stat-on-access fallback. */
  watch(): void {
    if (this.#watcher !== undefined || this.#closed) return;
    const name = basename(this.file);
    try {
      this.#watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) this.check();
      });
      this.#watcher.on("error", () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      this.#watcher = undefined;
    }
  }

  /** Called per request: at most once a second, checks the file in the background. True when it did. */
  touch(now: number): boolean {
    if (now - this.#lastStat < STAT_INTERVAL_MS) return false;
    this.#lastStat = now;
    void this.check();
    return true;
  }

  /** Re-reads the file if it changed. Concurrent calls coalesce into one more check. */
  check(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#checking !== undefined) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = this.#check()
      .catch((err: unknown) => {
        // Only a bug (or a throwing listener) gets here; a watcher callback must never reject.
        try {
          this.emit("failed", new PlugdError("PLUGD_ERR_AUTH_USERS_FILE", `${this.file}: reload failed: ${(err as Error).message}`, { file: this.file }));
        } catch {
          // nothing left to tell
        }
      })
      .finally(() => {
        this.#checking = undefined;
        if (this.#again && !this.#closed) {
          this.#again = false;
          void this.check();
        }
      });
    return this.#checking;
  }

  close(): void {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #check(): Promise<void> {
    let identity: string;
    try {
      identity = identityOf(await stat(this.file));
    } catch (err) {
      return this.#fail(`missing:${(err as NodeJS.ErrnoException).code ?? ""}`, readError(this.file, err));
    }
    if (identity === this.#seen) return;
    let next;
    try {
      next = await this.#read();
      await this.#prepare(next.table);
    } catch (err) {
      return this.#fail(identity, err as PlugdError);
    }
    if (this.#closed) return;
    this.#table = next.table;
    this.#seen = next.identity;
    this.emit("reload", next.table);
  }

  #fail(identity: string, err: PlugdError): void {
    if (identity === this.#seen) return;
    this.#seen = identity;
    this.emit("failed", err);
  }

  async #read(): Promise<{ table: UserTable; identity: string }> {
    let text: string;
    let identity: string;
    try {
      const before = await stat(this.file);
      text = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(this.file));
      identity = identityOf(before);
    } catch (err) {
      throw readError(this.file, err);
    }
    try {
      return { table: parseHtpasswd(text, this.file), identity };
    } catch (err) {
      if (!(err instanceof HtpasswdError)) throw err;
      throw new PlugdError("PLUGD_ERR_AUTH_USERS_FILE", err.message, { file: this.file, line: err.line }, { cause: err });
    }
  }
}

/** What tells one version of the file from another, including a replacement by rename. */
function identityOf(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

function readError(file: string, err: unknown): PlugdError {
  if (err instanceof TypeError) return new PlugdError("PLUGD_ERR_AUTH_USERS_FILE", `${file}: cannot read the users file: not valid UTF-8`, { file });
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === "ENOENT" ? "no such file" : code === "EACCES" || code === "EPERM" ? "permission denied" : code === "EISDIR" ? "it is a folder" : (err as Error).message;
  return new PlugdError("PLUGD_ERR_AUTH_USERS_FILE", `${file}: cannot read the users file: ${why}`, { file, code }, { cause: err });
}
