// The plugin's options and its life: defaults, validation, where a relative `dir` goes, the
// folder created at start, one SIGUSR1 handler for the whole process, files shared by servers.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pluginOptions } from "../../../core/plugin-options.ts";
import { rawExchange, startServer } from "../../helpers/server.ts";
import log, { resolveLogDir } from "../../../plugins/log/index.ts";
import site from "./fixtures/site.ts";
import { goaccess, removeTempDirs, tempDir } from "./helpers.ts";

afterAll(removeTempDirs);

describe("log: options", () => {
  it("fills the documented defaults", async () => {
    expect(await pluginOptions(log, {}, "log")).toEqual({ dir: "./logs", access: "access.log", error: "error.log", format: "combined" });
  });

  it("rejects an unknown format and unknown options", async () => {
    await expect(pluginOptions(log, { format: "apache" }, "log")).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
    await expect(pluginOptions(log, { file: "x.log" }, "log")).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
    await expect(pluginOptions(log, { dir: "" }, "log")).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
  });

  it("resolves a relative dir against the working directory, and keeps an absolute one", () => {
    expect(resolveLogDir("./logs", "/srv/site")).toBe("/srv/site/logs");
    expect(resolveLogDir("/var/log/plugd", "/srv/site")).toBe("/var/log/plugd");
    expect(resolveLogDir("logs", process.cwd())).toBe(resolve(process.cwd(), "logs"));
  });
});

describe("log: start and stop", () => {
  it("creates a missing log folder, nested, when the server starts", async () => {
    const dir = join(tempDir(), "a", "b", "logs");
    const s = await startServer({ root: tempDir(), plugins: [site, [log, { dir, access: "my-access.log" }]] });
    await s.stop();
    expect(readFileSync(join(dir, "my-access.log"), "utf8")).toBe("");
    expect(readFileSync(join(dir, "error.log"), "utf8")).toBe("");
  });

  it("installs one SIGUSR1 handler for all servers while any runs, and removes it when the last stops", async () => {
    const before = process.listenerCount("SIGUSR1");
    const a = await startServer({ root: tempDir(), plugins: [site, [log, { dir: tempDir() }]] });
    expect(process.listenerCount("SIGUSR1")).toBe(before + 1);
    const b = await startServer({ root: tempDir(), plugins: [site, [log, { dir: tempDir() }]] });
    expect(process.listenerCount("SIGUSR1")).toBe(before + 1);
    await a.stop();
    expect(process.listenerCount("SIGUSR1")).toBe(before + 1);
    await b.stop();
    expect(process.listenerCount("SIGUSR1")).toBe(before);
  });

  it("shares one file between servers that name it: whole lines from both", async () => {
    const dir = tempDir();
    const a = await startServer({ root: tempDir(), plugins: [site, [log, { dir }]] });
    const b = await startServer({ root: tempDir(), plugins: [site, [log, { dir }]] });
    const sends: Promise<Buffer>[] = [];
    for (let i = 0; i < 50; i++) {
      for (const s of [a, b]) sends.push(rawExchange(s.port, `GET /${s.port}/${i} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`));
    }
    await Promise.all(sends);
    await a.stop();
    await b.stop();
    const file = join(dir, "access.log");
    const lines = readFileSync(file, "latin1").slice(0, -1).split("\n");
    expect(lines).toHaveLength(100);
    expect(lines.filter((l) => l.includes(`"GET /${a.port}/`))).toHaveLength(50);
    expect(await goaccess(file)).toMatchObject({ total: 100, valid: 100, failed: 0 });
  });
});
