// The buffered writer on its own: a line never waits for the disk, the buffer is bounded when
// the disk stalls, and reopening (as on SIGUSR1) loses, duplicates and splits no line.
import { readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LogFile, MAX_BUFFERED_BYTES } from "../../../plugins/log/log-file.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

describe("log: the buffered log file", () => {
  it("returns from append before anything is written, and writes it all on drain", async () => {
    const file = join(tempDir(), "sub", "a.log");
    const log = new LogFile(file);
    await log.open();
    for (let i = 0; i < 100; i++) log.append(`line ${i}\n`);
    expect(statSync(file).size).toBe(0);
    await log.close();
    expect(readFileSync(file, "utf8")).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(""));
  });

  it("keeps at most MAX_BUFFERED_BYTES when the disk stalls, and counts what it drops", async () => {
    const held: (() => void)[] = [];
    let received = "";
    // A disk that accepts a write and does not finish it until told to.
    const stalled = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.toString("latin1");
        held.push(() => callback());
      },
    });
    const log = new LogFile("-", stalled);
    const line = "y".repeat(1023) + "\n";
    const total = Math.ceil((2 * MAX_BUFFERED_BYTES) / line.length);
    for (let i = 0; i < total; i++) log.append(line);
    expect(log.dropped).toBeGreaterThan(0);
    expect(log.dropped).toBeLessThan(total);
    // Drain: let each write finish as it comes.
    const draining = log.drain();
    while (held.length > 0 || received.length === 0) {
      const next = held.shift();
      if (next === undefined) break;
      next();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await draining;
    const written = received.length / line.length;
    expect(Number.isInteger(written)).toBe(true);
    expect(written + log.dropped).toBe(total);
    expect(received.length).toBeLessThanOrEqual(MAX_BUFFERED_BYTES);
  });

  it("puts each line in exactly one file, in order and whole, when reopened while writing", async () => {
    const dir = tempDir();
    const file = join(dir, "access.log");
    const log = new LogFile(file);
    await log.open();
    const rotations: string[] = [];
    const all: string[] = [];
    let reopened: Promise<void> = Promise.resolve();
    for (let i = 0; i < 30000; i++) {
      const line = `request ${i} ${"z".repeat(i % 200)}\n`;
      all.push(line);
      log.append(line);
      if (i % 7500 === 7499) {
        const old = `${file}.${rotations.length + 1}`;
        renameSync(file, old);
        rotations.push(old);
        // As logrotate does, the next rotation comes after the new file exists; lines keep coming meanwhile.
        reopened = log.reopen();
      }
      if (i % 7500 === 7000) await reopened;
      // Let writes start and finish in between, as under real traffic.
      if (i % 500 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await log.close();
    const parts = [...rotations, file].map((f) => readFileSync(f, "utf8"));
    expect(parts.every((p) => p.length > 0 && p.endsWith("\n"))).toBe(true);
    expect(parts.join("")).toBe(all.join(""));
    expect(log.dropped).toBe(0);
  });
});
