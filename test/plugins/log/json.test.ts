// format "json": every access line is one JSON object with the documented fields, and the
// error log is JSON lines too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../../helpers/server.ts";
import log from "../../../plugins/log/index.ts";
import site from "./fixtures/site.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";
import { RAW_REQUESTS, sendTraffic } from "./traffic.ts";

afterAll(removeTempDirs);

type Line = Record<string, unknown>;

function jsonLines(file: string): Line[] {
  const text = readFileSync(file, "latin1");
  // ASCII only, whatever bytes the requests carried (JSON \u escapes for the rest).
  expect(text).toMatch(/^[\x20-\x7e\n]*$/);
  expect(text.endsWith("\n")).toBe(true);
  return text.slice(0, -1).split("\n").map((l) => JSON.parse(l) as Line);
}

describe("log: JSON lines", () => {
  it("writes one parseable object per request, with time, id, peer, method, target, protocol, status, bytes, duration, user, referer, user agent", async () => {
    const dir = tempDir();
    const started = Date.now();
    const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir, format: "json" }]] });
    const sent = await sendTraffic(s.port);
    await s.stop();
    const access = jsonLines(join(dir, "access.log"));
    expect(access).toHaveLength(RAW_REQUESTS.length);
    expect(access.map((l) => l.status)).toEqual(sent.map((x) => x.status));
    for (const line of access) {
      expect(Date.parse(line.time as string)).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(line.id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
      expect(line.peer).toBe("127.0.0.1");
      expect(line.server).toBe("default");
      expect(typeof line.duration_ms).toBe("number");
      expect(typeof line.bytes).toBe("number");
    }
    expect(new Set(access.map((l) => l.id)).size).toBe(access.length);

    const get = access[0] as Line;
    expect(get).toMatchObject({
      method: "GET",
      target: "/",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: Buffer.byteLength("you asked for /\n"),
      user: null,
      referer: "http://example.com/start",
      user_agent: "curl/8",
      completed: true,
    });
    expect(get).not.toHaveProperty("error");
    expect(access.find((l) => l.target === "/private")).toMatchObject({ user: "bob smith" });
    expect(access.find((l) => l.method === "HEAD")).toMatchObject({ status: 200, bytes: 0 });
    expect(access.find((l) => l.target === "/old")).toMatchObject({ protocol: "HTTP/1.0" });
    expect(access.find((l) => l.target === "/q")).toMatchObject({ user_agent: 'evil" 200 1 "-" "x\\"', referer: '"\\' });
    expect(access.find((l) => l.target === "/h")).toMatchObject({ user_agent: "caf\xe9 \x80\xff" });

    // Requests the core rejected: the stable code, and the request line as received.
    const garbage = access.find((l) => l.request === "GARBAGE");
    expect(garbage).toMatchObject({ status: 400, error: "PLUGD_ERR_HTTP_BAD_REQUEST_LINE", user_agent: null });
    const forged = access.find((l) => l.error === "PLUGD_ERR_HTTP_BAD_LINE_ENDING" && l.request === "GET /a");
    expect(forged).toBeDefined();

    // The 500's access line and error line share the request id.
    const boom = access.find((l) => l.target === "/boom") as Line;
    expect(boom).toMatchObject({ status: 500, error: "PLUGD_ERR_HOOK_TAP_FAILED" });
    const errors = jsonLines(join(dir, "error.log"));
    expect(errors.find((e) => e.id === boom.id)).toMatchObject({
      level: "error",
      server: "default",
      msg: "boom from the test site",
      status: 500,
      code: "PLUGD_ERR_HOOK_TAP_FAILED",
      hook: 'handle.for("GET")',
      plugin: "site",
      method: "GET",
      target: "/boom",
    });
  });
});
