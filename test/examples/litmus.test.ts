// The WebDAV test tool litmus (Debian's litmus package) against examples/webdav.config.json:
// MKCOL (a custom method plugin) beside get, put, delete (recursive) and options.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromConfig, type Started } from "../../core/start.ts";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

let dir: string;
let started: Started;
let url: string;

beforeAll(async () => {
  // The example's own config, with a fresh root and a free port.
  const example = JSON.parse(await readFile(path.join(EXAMPLES, "webdav.config.json"), "utf8"));
  dir = await mkdtemp(path.join(tmpdir(), "plugd-litmus-"));
  const server = example.servers[0];
  server.listen = ["127.0.0.1:0"];
  server.root = dir;
  server.plugins.mkcol.module = path.join(EXAMPLES, "mkcol.ts");
  delete example.$schema;
  const file = path.join(dir, "..", `${path.basename(dir)}.json`);
  await writeFile(file, JSON.stringify(example));
  started = await startFromConfig(file);
  url = `${started.servers[0]?.url()}/`;
});

afterAll(async () => {
  await started?.stop(100);
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}.json`, { force: true });
});

async function litmus(group: string): Promise<string> {
  const result = await run("litmus", ["-k", url], { env: { ...process.env, TESTS: group }, cwd: dir, timeout: 60000 }).catch((err: { stdout?: string; stderr?: string }) => ({
    stdout: err.stdout ?? "",
    stderr: err.stderr ?? "",
  }));
  return result.stdout;
}

describe("litmus against examples/webdav.config.json", () => {
  it("passes the basic group", async () => {
    const out = await litmus("basic");
    expect(out).toMatch(/summary for `basic': of 16 tests run: 16 passed, 0 failed/);
  });

  it("passes the http group", async () => {
    const out = await litmus("http");
    expect(out).toMatch(/summary for `http': of \d+ tests run: (\d+) passed, 0 failed/);
  });
});
