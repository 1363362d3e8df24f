// The concurrency limit and its queue (503 with Retry-After), and php-cgi missing: the server
// still starts, warns, and answers scripts with 503 (the reason in the error log).
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { gatewayState } from "../../../plugins/php-cgi/index.ts";
import type { TestServer } from "../../helpers/server.ts";
import { curl, errorLogText, makeSite, phpServer, pidFrom, waitFor, type Site } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function serve(options: Record<string, unknown>): Promise<{ site: Site; server: TestServer }> {
  const site = makeSite();
  cleanups.push(() => site.cleanup());
  const server = await phpServer(site, options);
  cleanups.push(() => server.stop());
  return { site, server };
}

/** Starts forever.php on a raw socket and resolves once its head arrived; destroy() stops it. */
async function holdSlot(server: TestServer, site: Site): Promise<{ socket: net.Socket; pid: number }> {
  const pidfile = site.scratchFile("hold.pid");
  const socket = net.connect(server.port, "127.0.0.1");
  socket.on("error", () => {});
  cleanups.push(() => socket.destroy());
  let head = "";
  await new Promise<void>((resolve) =>
    socket.on("data", (c: Buffer) => {
      head += c.toString("latin1");
      if (head.includes("\r\n\r\n")) resolve();
    }).write(`GET /forever.php?pidfile=${encodeURIComponent(pidfile)} HTTP/1.1\r\nHost: t\r\n\r\n`),
  );
  return { socket, pid: await pidFrom(pidfile) };
}

describe("php-cgi concurrency limit", () => {
  it("all slots busy and no queue: 503 with Retry-After, the reason logged", async () => {
    const { site, server } = await serve({ concurrency: 1, queue: 0 });
    const hold = await holdSlot(server, site);
    const a = await curl([`${server.url}/hello.php`]);
    expect(a.status).toBe(503);
    expect(a.headers["retry-after"]).toBe("5");
    await waitFor(() => errorLogText(site).includes("PLUGD_ERR_PHP_OVERLOADED"), 5000, "the 503 in the error log");
    // Static files do not need a slot.
    expect((await curl([`${server.url}/static.txt`])).status).toBe(200);
    hold.socket.destroy();
    const slots = gatewayState(server.server)!.gateway.slots;
    await waitFor(() => slots.busy === 0, 5000, "the slot to come free");
    expect((await curl([`${server.url}/hello.php`])).status).toBe(200);
  });

  it("a queued request runs when a slot comes free; past the queue, 503", async () => {
    const { site, server } = await serve({ concurrency: 1, queue: 1 });
    const hold = await holdSlot(server, site);
    const slots = gatewayState(server.server)!.gateway.slots;
    const queued = curl([`${server.url}/hello.php`]);
    await waitFor(() => slots.waiting === 1, 5000, "a request in the queue");
    const refused = await curl([`${server.url}/hello.php`]);
    expect(refused.status).toBe(503);
    hold.socket.destroy();
    const served = await queued;
    expect(served.status).toBe(200);
    expect(served.body.toString()).toBe("hello world\n");
  });

  it("a wait in the queue longer than timeoutMs: 503", async () => {
    const { site, server } = await serve({ concurrency: 1, queue: 5, timeoutMs: 800 });
    await holdSlot(server, site);
    const started = Date.now();
    const a = await curl([`${server.url}/hello.php`]);
    expect(a.status).toBe(503);
    expect(a.headers["retry-after"]).toBe("5");
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
  });
});

describe.each([
  ["cgi", { mode: "cgi" }],
  ["fastcgi-own-pool", { mode: "fastcgi" }],
])("php-cgi missing (%s)", (_mode, options) => {
  it("the server starts and warns; scripts get 503 with the reason in the error log; files are served", async () => {
    const { site, server } = await serve({ ...options, binary: "/nonexistent/php-cgi" });
    await waitFor(() => /level=warn.*php-cgi is not available: \/nonexistent\/php-cgi is not an executable file/.test(errorLogText(site)), 5000, "the start-up warning");
    const a = await curl([`${server.url}/hello.php`]);
    expect(a.status).toBe(503);
    expect(a.body.toString()).toBe("503 Service Unavailable\n");
    await waitFor(() => errorLogText(site).split("\n").some((l) => l.includes("PLUGD_ERR_PHP_UNAVAILABLE") && l.includes("/nonexistent/php-cgi")), 5000, "the 503's reason in the error log");
    expect((await curl([`${server.url}/static.txt`])).status).toBe(200);
    // And never the script's source.
    expect((await curl([`${server.url}/app/`])).status).toBe(503);
  });

  it("a name not on PATH says so", async () => {
    const { site, server } = await serve({ ...options, binary: "php-cgi-no-such-name" });
    await waitFor(() => /php-cgi-no-such-name was not found on PATH/.test(errorLogText(site)), 5000, "the start-up warning");
    expect((await curl([`${server.url}/hello.php`])).status).toBe(503);
  });
});
