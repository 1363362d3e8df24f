import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import echo from "../../examples/echo.ts";
import { rawExchange, startServer, statuses, type TestServer } from "../helpers/server.ts";

let current: TestServer | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

describe("examples/echo.ts", () => {
  it("answers each listed method with the request body, Content-Length or chunked", async () => {
    current = await startServer({ plugins: [[echo, { methods: ["POST", "BREW"] }]] });
    const res = await fetch(`${current.url}/anything`, { method: "POST", body: "ping", headers: { "content-type": "text/x-test" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/x-test");
    expect(res.headers.get("x-echo-method")).toBe("POST");
    expect(await res.text()).toBe("ping");

    const chunked = await rawExchange(current.port, "BREW /pot HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\ntea\r\n0\r\n\r\n");
    const text = chunked.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toMatch(/Transfer-Encoding: chunked\r\n/);
    expect(text).toMatch(/\r\n\r\n3\r\ntea\r\n0\r\n\r\n$/);
  });

  it("leaves unlisted methods to the core (405 for a known method)", async () => {
    current = await startServer({ plugins: [[echo, { methods: ["POST"] }]] });
    expect(statuses(await rawExchange(current.port, "PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))).toEqual([405]);
  });

  it("refuses options its schema does not allow", async () => {
    await expect(startServer({ plugins: [[echo, { methods: ["NOT A TOKEN"] }]] })).rejects.toMatchObject({ code: "PLUGD_ERR_CONFIG_PLUGIN_OPTIONS" });
  });

  it("examples/echo.config.json is a valid config", () => {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const check = spawnSync(process.execPath, ["bin/plugd.js", "--check", "--config", "examples/echo.config.json"], { cwd: root, encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });
});
