// A log that cannot be written never stops serving: a log folder that cannot be created (its
// parent is a regular file: fails for root too), a full disk (/dev/full answers every write
// with ENOSPC). One rate-limited message goes to stderr. And "-" writes to stdout/stderr.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, siteConfig, startCli, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

async function get(url: string): Promise<number> {
  const res = await fetch(url);
  await res.text();
  return res.status;
}

describe("log: files that cannot be written", () => {
  it("serves when the log folder cannot be created, and says so once on stderr", async () => {
    const dir = tempDir();
    const blocker = join(dir, "not-a-folder");
    writeFileSync(blocker, "a regular file\n");
    const cli = await startCli(dir, siteConfig({ dir: join(blocker, "logs") }, dir));
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 20; i++) statuses.push(await get(`${cli.url}/page/${i}`));
      statuses.push(await get(`${cli.url}/status/500`));
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(statuses).toEqual([...Array(20).fill(200), 500]);
    const err = cli.stderr();
    const access = join(blocker, "logs", "access.log");
    const error = join(blocker, "logs", "error.log");
    // One message per file at start (open failed), rate-limited: the retries while stopping say nothing more.
    expect(err.split("\n").filter((l) => l.includes(`cannot open ${access}: ENOTDIR`))).toHaveLength(1);
    expect(err.split("\n").filter((l) => l.includes(`cannot open ${error}: ENOTDIR`))).toHaveLength(1);
    expect(err).toMatch(/requests are still served/);
    expect(err.split("\n").filter((l) => l !== "")).toHaveLength(2);
  });

  it("serves on a full disk, dropping lines with one message on stderr", async () => {
    const dir = tempDir();
    const cli = await startCli(dir, siteConfig({ dir: join(dir, "logs"), access: "/dev/full" }, dir));
    const long = "x".repeat(4000);
    const statuses: number[] = [];
    try {
      // ~80 lines of 4 KB: more than one write's worth (64 KiB), so writes fail more than once.
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 20; i++) statuses.push(await get(`${cli.url}/${long}/${w}/${i}`));
        }),
      );
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(statuses).toHaveLength(80);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const lines = cli.stderr().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const m = /^plugd log: cannot write \/dev\/full: ENOSPC .*; (\d+) line\(s\) dropped; requests are still served$/.exec(lines[0] as string);
    expect(m).not.toBeNull();
    // The message counts the first failed write's lines only: later writes failed too, silently.
    expect(Number(m?.[1])).toBeGreaterThan(0);
    expect(Number(m?.[1])).toBeLessThan(80);
  });

  it('writes the access log to stdout and the error log to stderr with "-"', async () => {
    const dir = tempDir();
    const cli = await startCli(dir, siteConfig({ dir: join(dir, "unused"), access: "-", error: "-" }, dir));
    try {
      expect(await get(`${cli.url}/hello`)).toBe(200);
      expect(await get(`${cli.url}/boom`)).toBe(500);
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    const out = cli.stdout().split("\n");
    expect(out).toContainEqual(expect.stringMatching(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/hello HTTP\/1\.1" 200 \d+ "-" "[^"]*"$/));
    expect(out).toContainEqual(expect.stringMatching(/"GET \/boom HTTP\/1\.1" 500 /));
    expect(cli.stderr()).toMatch(/^time=\S+ level=error server=site msg="boom from the test site" .*code=PLUGD_ERR_HOOK_TAP_FAILED/m);
  });
});
