// Reading htpasswd files: what is accepted, what is refused (by file and line, never echoing
// the line), start-up failing on a bad file, and the stat-on-access fallback when no watch fires.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseHtpasswd } from "../../../plugins/auth/htpasswd.ts";
import { UsersFile } from "../../../plugins/auth/users-file.ts";
import { authServer, htpasswd, tempDir } from "./helpers.ts";

const BCRYPT = "$2y$05$abcdefghijklmnopqrstuu5Fmq0MwbF0qPb7oJ8O/1ZKq3cO5zQzW";
const APR1 = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/";
const SHA = "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=";

describe("auth: htpasswd parsing", () => {
  it("accepts bcrypt ($2y$/$2a$/$2b$), $apr1$ and {SHA}; skips blanks and comments; CRLF; extra fields", () => {
    const text = [
      "# users",
      `bea:${BCRYPT}`,
      `bob:${BCRYPT.replace("$2y$", "$2a$")}`,
      `bex:${BCRYPT.replace("$2y$", "$2b$")}:staff`,
      "",
      `max:${APR1}\r`,
      `sam:${SHA}   `,
    ].join("\n");
    const table = parseHtpasswd(text, "f");
    expect([...table.users.keys()]).toEqual(["bea", "bob", "bex", "max", "sam"]);
    expect(table.users.get("bea")).toEqual({ kind: "bcrypt", hash: BCRYPT, cost: 5 });
    expect(table.users.get("bex")?.hash.endsWith(":staff")).toBe(false);
    expect(table.users.get("max")?.kind).toBe("apr1");
    expect(table.users.get("sam")).toEqual({ kind: "sha", hash: SHA, cost: 0 });
    expect(table.typical).toEqual({ kind: "bcrypt", cost: 5 });
  });

  it.each([
    ["plaintext", "carl:hunter2", /users\.htpasswd:2: user "carl": the password is plaintext/],
    ["crypt(3) DES", "carl:rqXexS6ZhobKA", /:2: user "carl": the password is plaintext or crypt\(3\) DES/],
    ["$1$ MD5-crypt", "carl:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", /:2: user "carl": .*crypt\(3\) format/],
    ["$6$ SHA-512-crypt", "carl:$6$saltsalt$abc", /:2: user "carl": .*crypt\(3\) format/],
    ["a short {SHA}", "carl:{SHA}abc=", /:2: user "carl": the \{SHA\} hash is not base64 of 20 bytes/],
    ["no hash", "carl:", /:2: user "carl" has no password hash/],
    ["no colon", "carl", /:2: not a "user:hash" line/],
    ["an empty user", `:${SHA}`, /:2: the user name is empty/],
    ["a repeated user", `bea:${SHA}`, /:2: user "bea" is already defined on line 1/],
  ])("refuses %s, naming file and line but not the secret", (_what, line, message) => {
    const text = `bea:${BCRYPT}\n${line}\n`;
    let error: Error | undefined;
    try {
      parseHtpasswd(text, "/etc/users.htpasswd");
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    const secret = line.slice(line.indexOf(":") + 1);
    if (secret.length > 0) expect(error?.message).not.toContain(secret);
  });

  it("an empty file has no users (every login fails) and a bcrypt dummy cost", () => {
    const table = parseHtpasswd("", "f");
    expect(table.users.size).toBe(0);
    expect(table.typical).toEqual({ kind: "bcrypt", cost: 10 });
  });
});

describe("auth: start-up with a bad users file", () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it("a plaintext line stops the server from starting, naming file and line", async () => {
    const file = join(tmp.dir, "plain.htpasswd");
    await htpasswd(file, "-s", "ann", "pw", true);
    writeFileSync(file, "ann:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nbob:s3cr3t-plain\n");
    const started = authServer({ users: file });
    await expect(started).rejects.toMatchObject({ code: "PLUGD_ERR_AUTH_USERS_FILE" });
    await expect(started).rejects.toThrow(`${file}:2: user "bob": the password is plaintext`);
    await started.catch((err: Error) => expect(err.message).not.toContain("s3cr3t"));
  });

  it("a missing file stops the server from starting", async () => {
    const file = join(tmp.dir, "missing.htpasswd");
    await expect(authServer({ users: file })).rejects.toThrow(`${file}: cannot read the users file: no such file`);
  });

  it("bad options are refused by the schema", async () => {
    await expect(authServer({ users: "u", protect: ["private/**"] })).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
    await expect(authServer({ users: "u", realm: "a\r\nSet-Cookie: x=1" })).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
    await expect(authServer({ users: "u", protect: [{ path: "/x/**", methods: [] }] })).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
  });
});

describe("auth: stat on access when no watch fires", () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it("touch() re-reads a changed file, at most once a second", async () => {
    const file = join(tmp.dir, "users.htpasswd");
    writeFileSync(file, `ann:${SHA}\n`);
    // No watch(): only touch() can notice the change.
    const users = new UsersFile(file, async () => undefined);
    await users.load();
    const loaded = Date.now();
    writeFileSync(`${file}.new`, `ann:${SHA}\nbob:${SHA}\n`);
    renameSync(`${file}.new`, file);
    expect(users.touch(loaded + 500)).toBe(false);
    expect(users.table.users.has("bob")).toBe(false);
    const reloaded = new Promise<void>((resolve) => users.once("reload", () => resolve()));
    expect(users.touch(loaded + 1500)).toBe(true);
    expect(users.touch(loaded + 1600)).toBe(false);
    await reloaded;
    expect(users.table.users.has("bob")).toBe(true);
    users.close();
  });
});
