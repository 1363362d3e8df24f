// The users file edited while the server runs: in place by htpasswd, replaced by rename, broken
// (the last good users stay, the reason is reported without secrets), removed, and fixed again.
// Every wait is on the plugin's reload/failed events, never a sleep.
import { createHash } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import auth from "../../../plugins/auth/index.ts";
import log from "../../../plugins/log/index.ts";
import { startServer } from "../../helpers/server.ts";
import { authServer, curl, echo, handleOf, htpasswd, nextFailure, replaceFile, tempDir, untilUsers } from "./helpers.ts";

/** What htpasswd -s writes for a password. */
const sha = (password: string): string => `{SHA}${createHash("sha1").update(password).digest("base64")}`;

describe("auth: the users file changes while running", () => {
  const tmp = tempDir();
  const file = join(tmp.dir, "users.htpasswd");
  let s: Awaited<ReturnType<typeof authServer>>;
  const status = async (user: string): Promise<number> => (await curl(`${s.url}/x`, { user })).status;

  beforeAll(async () => {
    await htpasswd(file, "-s", "ann", "one", true);
    s = await authServer({ users: file });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it("a user added by htpasswd (in place) can log in", async () => {
    expect(await status("bob:two")).toBe(401);
    const added = untilUsers(s.auth, (users) => users.has("bob"));
    await htpasswd(file, "-m", "bob", "two");
    await added;
    expect(await status("bob:two")).toBe(200);
    expect(await status("ann:one")).toBe(200);
  });

  it("a file replaced by rename (editors, plugd passwd) is picked up: new password in, old out", async () => {
    const before = s.auth.users.table.users.get("ann")?.hash;
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => !l.startsWith("ann:"));
    const changed = untilUsers(s.auth, (users) => users.get("ann")?.hash !== before);
    replaceFile(file, [`ann:${sha("uno")}`, ...lines].join("\n"));
    await changed;
    expect(await status("ann:uno")).toBe(200);
    expect(await status("ann:one")).toBe(401);
    expect(await status("bob:two")).toBe(200);
  });

  it("a broken file keeps the last good users and reports file and line, not the secret", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const failed = nextFailure(s.auth);
    const good = readFileSync(file, "utf8");
    replaceFile(file, `${good.trimEnd()}\ncarl:hunter2-plaintext\n`);
    const err = await failed;
    expect(err.message).toContain(`${file}:3:`);
    expect(err.message).toContain("plaintext");
    expect(err.message).not.toContain("hunter2");
    expect((err as { code?: string }).code).toBe("PLUGD_ERR_AUTH_USERS_FILE");
    const reported = stderr.mock.calls.map((c) => String(c[0])).join("");
    expect(reported).toContain("PLUGD_ERR_AUTH_USERS_FILE");
    expect(reported).toContain(`${file}:3:`);
    expect(reported).not.toContain("hunter2");
    stderr.mockRestore();
    expect(await status("ann:uno")).toBe(200);
    expect(await status("carl:hunter2-plaintext")).toBe(401);

    // Fixed again: picked up.
    const fixed = untilUsers(s.auth, (users) => users.has("dan"));
    replaceFile(file, `${good.trimEnd()}\ndan:${sha("drei")}\n`);
    await fixed;
    expect(await status("dan:drei")).toBe(200);
  });

  it("a removed file keeps the last good users until it comes back", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const failed = nextFailure(s.auth);
    const good = readFileSync(file, "utf8");
    unlinkSync(file);
    expect((await failed).message).toContain("no such file");
    stderr.mockRestore();
    expect(await status("dan:drei")).toBe(200);
    const back = untilUsers(s.auth, (users) => !users.has("dan"));
    replaceFile(file, good.split("\n").filter((l) => !l.startsWith("dan:")).join("\n"));
    await back;
    expect(await status("dan:drei")).toBe(401);
    expect(await status("ann:uno")).toBe(200);
  });
});

describe("auth: reload failures go to the log plugin's error log when it runs", () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it("one escaped line with the code, file and line, without the secret", async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-s", "ann", "one", true);
    const logs = join(tmp.dir, "logs");
    const s = await startServer({ plugins: [[log, { dir: logs }], [auth, { users: file }], echo] });
    const handle = handleOf(s.server);
    try {
      const failed = nextFailure(handle);
      replaceFile(file, `ann:${sha("one")}\nmallory:pa55-in-clear\n`);
      await failed;
      expect((await curl(`${s.url}/x`, { user: "ann:one" })).status).toBe(200);
    } finally {
      await s.stop();
    }
    const errors = readFileSync(join(logs, "error.log"), "utf8");
    expect(errors).toMatch(/level=error .*PLUGD_ERR_AUTH_USERS_FILE/);
    expect(errors).toContain(`${file}:2:`);
    expect(errors).not.toContain("pa55");
    expect(readFileSync(join(logs, "access.log"), "utf8")).toMatch(/ ann \[/);
  });
});
