// The error log: every 5xx with hook, plugin, code and request id; rejected requests with the
// reason and an escaped excerpt of the head; what other plugins write through errorLog(server);
// start-up warnings. Credentials never reach any log.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { rawExchange, startServer } from "../../helpers/server.ts";
import log, { errorLog } from "../../../plugins/log/index.ts";
import site from "./fixtures/site.ts";
import { removeTempDirs, ROOT, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

/** logfmt: key=bare or key="escaped", as the error log writes it. */
function parseLogfmt(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_.-]+)=(?:"((?:[^"\\]|\\.)*)"|([^ ]*))(?: |$)/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while ((m = re.exec(line)) !== null) {
    out[m[1] as string] = m[2] !== undefined ? m[2].replace(/\\x([0-9a-f]{2})|\\(["\\])/g, (_, hex, ch) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch)) : (m[3] as string);
    at = re.lastIndex;
  }
  expect(at, `unparsed rest of ${JSON.stringify(line)}`).toBe(line.length);
  return out;
}

function lines(file: string): string[] {
  const text = readFileSync(file, "latin1");
  return text === "" ? [] : text.slice(0, -1).split("\n");
}

const SECRETS = ["c2VjcmV0", "sid=secret", "hunter2"];

describe("log: the error log", () => {
  it("has one line per 5xx with hook, plugin, code and the access line's request id, and one per rejected request with reason and escaped head", async () => {
    const dir = tempDir();
    const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir }]] });
    await rawExchange(s.port, "GET /boom HTTP/1.1\r\nHost: a\r\nAuthorization: Basic c2VjcmV0\r\nCookie: sid=secret\r\nConnection: close\r\n\r\n");
    await rawExchange(s.port, "GET /ok HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic aHVudGVyMg==\r\nCookie: sid=secret\r\nConnection: close\r\n\r\n");
    await rawExchange(s.port, "GET /x HTTP/1.1\r\nHost: a\r\nCookie : sid=secret\r\nAuthorization: Basic\r\n c2VjcmV0\r\n\"q\x01\r\n\r\n");
    await s.stop();

    const errors = lines(join(dir, "error.log")).map(parseLogfmt);
    expect(errors).toHaveLength(2);
    const [boom, rejected] = errors as [Record<string, string>, Record<string, string>];
    expect(boom).toMatchObject({
      level: "error",
      server: "default",
      msg: "boom from the test site",
      status: "500",
      code: "PLUGD_ERR_HOOK_TAP_FAILED",
      hook: 'handle.for("GET")',
      plugin: "site",
      method: "GET",
      target: "/boom",
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(boom.stack).toContain("fixtures/site.ts");
    expect(rejected).toMatchObject({ level: "warn", status: "400", code: "PLUGD_ERR_HTTP_SPACE_BEFORE_COLON", msg: "rejected request: Whitespace between a field name and its colon" });
    // The excerpt, unescaped, is the head as received with the credentials replaced.
    expect(rejected.raw).toBe("GET /x HTTP/1.1\r\nHost: a\r\nCookie : [redacted]\r\nAuthorization: [redacted]\r\n [redacted]\r\n\"q\x01\r\n\r\n");

    // The request id of the 500 is the access line's (the JSON test checks the same for JSON).
    const access = lines(join(dir, "access.log"));
    expect(access).toHaveLength(3);
    expect(access[0]).toMatch(/"GET \/boom HTTP\/1\.1" 500 /);
    expect(boom.id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);

    const all = readFileSync(join(dir, "error.log"), "latin1") + readFileSync(join(dir, "access.log"), "latin1");
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it("takes lines from other plugins through errorLog(server), start-up warnings included, whatever the plugin order", async () => {
    const gateway = definePlugin({
      name: "gateway",
      apply(server) {
        server.hooks.listening.tapPromise("gateway", async () => {
          errorLog(server).write("warn", "php-cgi not found; PHP disabled", { looked: "/usr/bin/php-cgi" });
        });
        server.hooks.handle.for("GET").tap("gateway", () => {
          errorLog(server).write("error", "PHP Fatal error: x\nStack trace:\n#0 {main}", { script: "/a.php", authorization: "Basic c2VjcmV0", msg: "mine" });
          return undefined;
        });
      },
    });
    const root = tempDir();
    const s = await startServer({ root, plugins: [gateway, site, [log, { dir: join(root, "logs") }]] });
    expect(errorLog(s.server).active).toBe(true);
    await rawExchange(s.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    await s.stop();
    expect(errorLog(s.server).active).toBe(false);

    const errors = lines(join(root, "logs", "error.log")).map(parseLogfmt);
    expect(errors.map((e) => e.msg)).toEqual([
      // The log plugin's own start-up warnings (these logs sit in the web root), then the
      // gateway's, though the gateway comes first in the plugin list: the files open first.
      "the access log is inside the web root: a file-serving plugin may serve it to anyone",
      "the error log is inside the web root: a file-serving plugin may serve it to anyone",
      "php-cgi not found; PHP disabled",
      "PHP Fatal error: x\nStack trace:\n#0 {main}",
    ]);
    expect(errors[2]).toMatchObject({ level: "warn", looked: "/usr/bin/php-cgi" });
    expect(errors[3]).toMatchObject({ level: "error", script: "/a.php", authorization: "[redacted]", _msg: "mine" });
    expect(readFileSync(join(root, "logs", "error.log"), "latin1")).not.toContain("c2VjcmV0");
  });

  it("without the log plugin, errorLog(server) writes the same escaped line to stderr", async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures/fallback.ts")], { cwd: ROOT }, (err, stdout, stderr) =>
        err ? reject(err) : resolve({ stdout, stderr }),
      );
    });
    expect(stdout).toBe("active=false\n");
    const errLines = stderr.split("\n").filter((l) => l !== "");
    expect(errLines).toHaveLength(1);
    expect(parseLogfmt(errLines[0] as string)).toMatchObject({
      level: "warn",
      server: "nolog",
      msg: "gateway said:\nPHP Warning: x",
      script: "/index.php",
      cookie: "[redacted]",
    });
  });
});
