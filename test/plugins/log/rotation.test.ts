// logrotate's way: rename the file, send SIGUSR1, and the server writes a new file by the old
// name. Run as a user runs plugd (the CLI in its own process, config file, relative `dir`),
// under load: every request is in exactly one of the two files, and no line is split.
import { existsSync, readFileSync, renameSync, watch } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { goaccess, removeTempDirs, siteConfig, startCli, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

const WORKERS = 8;
const BEFORE = 600;
const AFTER = 300;
const LINE = /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/r\/(\d+) HTTP\/1\.1" 200 \d+ "-" "[^"]*"$/;

/** Resolves once `file` exists (the server reopened it). */
function created(file: string): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(join(file, ".."), () => {
      if (existsSync(file)) {
        watcher.close();
        resolve();
      }
    });
    if (existsSync(file)) {
      watcher.close();
      resolve();
    }
  });
}

/** Sends GET /r/<from>..<to - 1> over WORKERS keep-alive clients; calls `at` once request `trigger` was answered. */
async function load(url: string, from: number, to: number, trigger?: number, at?: () => void): Promise<void> {
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const res = await fetch(`${url}/r/${i}`);
      expect(res.status).toBe(200);
      await res.text();
      if (i === trigger) at?.();
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

describe("log: reopening on SIGUSR1", () => {
  it("puts every request in exactly one of the old and the new file, with no line lost or split", async () => {
    const dir = tempDir();
    // A relative dir resolves against the directory plugd runs in (startCli runs it in `dir`).
    const cli = await startCli(dir, siteConfig({ dir: "logs" }, join(dir, "www")));
    const file = join(dir, "logs", "access.log");
    const rotated = `${file}.1`;
    let reopened: Promise<void> | undefined;
    try {
      await load(cli.url, 0, BEFORE, Math.floor(BEFORE / 3), () => {
        // Mid-load, with requests in flight on every worker.
        renameSync(file, rotated);
        process.kill(cli.pid, "SIGUSR1");
        reopened = created(file);
      });
      await reopened;
      await load(cli.url, BEFORE, BEFORE + AFTER);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    const old = readFileSync(rotated, "latin1").split("\n");
    const now = readFileSync(file, "latin1").split("\n");
    expect(old.pop()).toBe("");
    expect(now.pop()).toBe("");
    expect(old.length).toBeGreaterThan(0);
    expect(now.length).toBeGreaterThanOrEqual(AFTER);
    const seen = new Map<number, number>();
    for (const line of [...old, ...now]) {
      const m = LINE.exec(line);
      expect(m, `a whole line: ${JSON.stringify(line)}`).not.toBeNull();
      const i = Number((m as RegExpExecArray)[1]);
      seen.set(i, (seen.get(i) ?? 0) + 1);
    }
    expect(old.length + now.length).toBe(BEFORE + AFTER);
    expect(seen.size).toBe(BEFORE + AFTER);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    // Every request after the new file appeared is in the new file.
    const inNew = new Set(now.map((line) => Number(LINE.exec(line)?.[1])));
    const missing = Array.from({ length: AFTER }, (_, k) => BEFORE + k).filter((i) => !inNew.has(i));
    expect(missing).toEqual([]);
    expect(await goaccess(rotated)).toMatchObject({ valid: old.length, failed: 0 });
    expect(await goaccess(file)).toMatchObject({ valid: now.length, failed: 0 });
    expect(cli.stderr()).toBe("");
  });
});
