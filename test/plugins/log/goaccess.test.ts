// A real consumer reads the access log: goaccess counts exactly the requests sent (mixed
// methods and statuses, requests the core rejected, injection attempts) and no invalid line.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startServer } from "../../helpers/server.ts";
import log from "../../../plugins/log/index.ts";
import site from "./fixtures/site.ts";
import { goaccess, removeTempDirs, tempDir } from "./helpers.ts";
import { RAW_REQUESTS, sendTraffic } from "./traffic.ts";

afterAll(removeTempDirs);

async function logTraffic(format: "combined" | "common"): Promise<{ file: string; lines: string[]; statuses: number[] }> {
  const dir = tempDir();
  const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir, format }]] });
  const sent = await sendTraffic(s.port);
  await s.stop();
  const file = join(dir, "access.log");
  const lines = readFileSync(file, "latin1").split("\n");
  expect(lines.pop()).toBe("");
  return { file, lines, statuses: sent.map((x) => x.status) };
}

describe("log: goaccess reads the access log", () => {
  it("counts every request sent, rejected and injected ones included, with no invalid line (combined)", async () => {
    const { file, lines, statuses } = await logTraffic("combined");
    // The traffic covers what it claims to: successes, client and server errors, rejections.
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 302, 400, 404, 405, 500, 501, 505]));
    expect(lines).toHaveLength(RAW_REQUESTS.length);
    const counts = await goaccess(file, "COMBINED");
    expect(counts.invalid).toBe("");
    expect(counts).toMatchObject({ total: RAW_REQUESTS.length, valid: RAW_REQUESTS.length, failed: 0 });
    // Each line's status is the status the client got, in order.
    expect(lines.map((l) => Number(/" (\d{3}) /.exec(l)?.[1]))).toEqual(statuses);
    // A log line forged inside a target never became a line of its own: the access line has
    // the request line up to the LF, and the error log has the rest, escaped, on one line.
    expect(lines.some((l) => l.includes("/forged"))).toBe(false);
    expect(lines).toContainEqual(expect.stringMatching(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/a" 400 \d+ "-" "-"$/));
    const errors = readFileSync(join(dirname(file), "error.log"), "latin1").split("\n").filter((l) => l.includes("/forged"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^time=\S+ level=warn server=default msg="rejected request: [^"]+" .*code=PLUGD_ERR_HTTP_BAD_LINE_ENDING raw="GET \/a\\x0a127\.0\.0\.1 - - \[01\/Jan\/2000:00:00:00 \+0000\] \\"GET \/forged /);
  });

  it("counts every request with no invalid line (common)", async () => {
    const { file, lines } = await logTraffic("common");
    expect(lines).toHaveLength(RAW_REQUESTS.length);
    const counts = await goaccess(file, "COMMON");
    expect(counts.invalid).toBe("");
    expect(counts).toMatchObject({ total: RAW_REQUESTS.length, valid: RAW_REQUESTS.length, failed: 0 });
    expect(lines.every((l) => !l.endsWith('"'))).toBe(true);
  });
});
