// `plugd passwd FILE USER`, run as the real CLI (node bin/plugd.js), then used to log in with curl.
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { authServer, curl, tempDir, untilUsers } from "./helpers.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const PLUGD = join(ROOT, "bin/plugd.js");
const run = promisify(execFile);

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/plugd.js ARGS` with `input` on stdin (a pipe: not a terminal). */
function plugd(args: string[], input: string): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [PLUGD, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe("plugd passwd", () => {
  const tmp = tempDir();
  const file = join(tmp.dir, "users.htpasswd");
  let s: Awaited<ReturnType<typeof authServer>> | undefined;
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it("creates the file (mode 0600) with a bcrypt $2y$ entry; curl logs in with it", async () => {
    const r = await plugd(["passwd", file, "alice"], "wonder land\n");
    expect(r).toMatchObject({ code: 0, stdout: "Adding password for user alice\n" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^alice:\$2y\$10\$[./A-Za-z0-9]{53}\n$/);
    expect(r.stdout + r.stderr).not.toContain("wonder");
    s = await authServer({ users: file });
    expect((await curl(`${s.url}/x`, { user: "alice:wonder land" })).status).toBe(200);
    expect((await curl(`${s.url}/x`, { user: "alice:wonder" })).status).toBe(401);
  });

  it("Apache's htpasswd verifies what plugd passwd wrote", async () => {
    await expect(run("htpasswd", ["-vb", file, "alice", "wonder land"])).resolves.toBeDefined();
    await expect(run("htpasswd", ["-vb", file, "alice", "wrong"])).rejects.toThrow();
  });

  it("updates a user in place, keeps other lines, and the running server picks it up", async () => {
    writeFileSync(file, `# staff\n${readFileSync(file, "utf8")}bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    const server = s as NonNullable<typeof s>;
    await untilUsers(server.auth, (users) => users.has("bob"));
    const before = server.auth.users.table.users.get("alice")?.hash;
    const changed = untilUsers(server.auth, (users) => users.get("alice")?.hash !== before);
    const r = await plugd(["passwd", "-C", "5", file, "alice"], "looking glass\r\n");
    expect(r).toMatchObject({ code: 0, stdout: "Updating password for user alice\n" });
    const lines = readFileSync(file, "utf8").split("\n");
    expect(lines[0]).toBe("# staff");
    expect(lines[1]).toMatch(/^alice:\$2y\$05\$/);
    expect(lines[2]).toBe("bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    await changed;
    expect((await curl(`${server.url}/x`, { user: "alice:looking glass" })).status).toBe(200);
    expect((await curl(`${server.url}/x`, { user: "alice:wonder land" })).status).toBe(401);
  });

  it.each([
    [["passwd", "FILE", "carol", "secret-in-argv"], "", 2, /never an argument/],
    [["passwd", "FILE"], "pw\n", 2, /FILE and USER are required/],
    [["passwd", "FILE", "a:b"], "pw\n", 2, /cannot contain ":"/],
    [["passwd", "-C", "3", "FILE", "carol"], "pw\n", 2, /-C takes a bcrypt cost/],
    [["passwd", "FILE", "carol"], "", 1, /no password on standard input/],
    [["passwd", "FILE", "carol"], "\n", 1, /the password is empty/],
    [["passwd", "FILE", "carol"], `${"x".repeat(73)}\n`, 1, /longer than 72 bytes/],
  ])("refuses %j (stdin %j): exit %i", async (args, input, code, message) => {
    const other = join(tmp.dir, "other.htpasswd");
    const r = await plugd(args.map((a) => (a === "FILE" ? other : a)), input);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(() => statSync(other)).toThrow();
  });

  it("on a terminal: prompts twice with echo off (under script(1))", async () => {
    const ttyFile = join(tmp.dir, "tty.htpasswd");
    const out = await new Promise<{ code: number | null; out: string }>((resolveRun, reject) => {
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(PLUGD)} passwd ${JSON.stringify(ttyFile)} tina`;
      const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
      let text = "";
      let step = 0;
      // Type only once each prompt is shown, as a person would (input before raw mode would echo).
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
        if (step === 0 && text.includes("New password: ")) {
          step = 1;
          child.stdin.write("tty-s3cret\r");
        }
        if (step === 1 && text.includes("Re-type new password: ")) {
          step = 2;
          child.stdin.write("tty-s3cret\r");
        }
      });
      child.on("error", reject);
      child.on("close", (code) => resolveRun({ code, out: text }));
    });
    expect(out.code).toBe(0);
    expect(out.out).toContain("Adding password for user tina");
    expect(out.out).not.toContain("tty-s3cret");
    await expect(run("htpasswd", ["-vb", ttyFile, "tina", "tty-s3cret"])).resolves.toBeDefined();
  });
});
