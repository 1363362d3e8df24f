// plugd's own FastCGI pool (php-cgi -b children it starts at `listening`, supervises and stops
// at `close`), and kept connections to php-fpm that php-fpm closes behind our back.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FastCgiBackend } from "../../../plugins/php-cgi/fastcgi/backend.ts";
import type { OwnPool } from "../../../plugins/php-cgi/fastcgi/own-pool.ts";
import { gatewayState } from "../../../plugins/php-cgi/index.ts";
import { rawExchange, statuses, type TestServer } from "../../helpers/server.ts";
import { curl, errorLogText, makeSite, phpServer, processesRunning, processGone, startFpm, waitFor, type Site } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function poolOf(server: TestServer): OwnPool {
  return (gatewayState(server.server)!.backend as FastCgiBackend).pool as OwnPool;
}

/** php-cgi -b processes whose socket is in `dir`. */
function childrenIn(dir: string): number[] {
  return processesRunning((argv) => argv[0] === "/usr/bin/php-cgi" && argv[1] === "-b" && (argv[2] ?? "").startsWith(dir + "/"));
}

function socketDir(pool: OwnPool): string {
  const pid = pool.pids[0];
  if (pid === undefined) throw new Error("no child");
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  return path.dirname(argv[2] as string);
}

describe("php-cgi's own FastCGI pool", () => {
  it("starts `children` php-cgi -b processes at listening, each on its own socket, and stops them at close", async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    const server = await phpServer(site, { mode: "fastcgi", children: 3 });
    const pool = poolOf(server);
    expect(pool.ready).toBe(3);
    const dir = socketDir(pool);
    const pids = childrenIn(dir);
    expect(pids.sort()).toEqual([...pool.pids].sort());
    expect(pids.length).toBe(3);
    expect((await curl([`${server.url}/hello.php`])).body.toString()).toBe("hello world\n");
    await server.stop();
    for (const pid of pids) expect(processGone(pid), `php-cgi ${pid}`).toBe(true);
    expect(childrenIn(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it("a child that dies is started again, and requests keep being served", async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    const server = await phpServer(site, { mode: "fastcgi", children: 2 });
    cleanups.push(() => server.stop());
    const pool = poolOf(server);
    const [victim, other] = pool.pids as [number, number];
    process.kill(victim, "SIGKILL");
    await waitFor(() => pool.ready === 2 && !pool.pids.includes(victim), 10_000, "the dead child to be replaced");
    expect(pool.pids).toContain(other);
    expect(processGone(victim)).toBe(true);
    await waitFor(() => /php-cgi -b child \d \(pid \d+\) exited \(signal SIGKILL\); starting it again/.test(errorLogText(site)), 5000, "the restart in the error log");
    const answers = await Promise.all(Array.from({ length: 8 }, () => curl([`${server.url}/hello.php`])));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
  });

  it("more requests than children wait for one; each child runs one script at a time", async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    const server = await phpServer(site, { mode: "fastcgi", children: 2 });
    cleanups.push(() => server.stop());
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => curl([`${server.url}/form.php?i=${i}`])));
    expect(answers.map((a) => JSON.parse(a.body.toString()).get.i)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
  });
});

describe("php-cgi to php-fpm", () => {
  it("kept connections that php-fpm closes (pm.max_requests) are replaced without a failed request", async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    const fpm = await startFpm(path.join(site.base, "fpm"), { children: 2, maxRequests: 2 });
    cleanups.push(() => fpm.stop());
    const server = await phpServer(site, { mode: "fastcgi", address: fpm.socket, concurrency: 2 });
    cleanups.push(() => server.stop());
    // Pipelined on one connection: each request goes to php-fpm the moment the one before it
    // is answered, before the worker that reached pm.max_requests has closed its connection.
    const request = "GET /hello.php HTTP/1.1\r\nHost: t\r\n\r\n";
    const raw = await rawExchange(server.port, request.repeat(15) + request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"), undefined, 20_000);
    expect(statuses(raw)).toEqual(Array(16).fill(200));
    // php-fpm did recycle its workers meanwhile.
    expect(readFileSync(fpm.log, "utf8")).toMatch(/max_requests|exited/);
  });

  it("an address nothing listens on: 502, the reason logged", async () => {
    const site = makeSite();
    cleanups.push(() => site.cleanup());
    const server = await phpServer(site, { mode: "fastcgi", address: path.join(site.scratch, "nobody.sock") });
    cleanups.push(() => server.stop());
    const a = await curl([`${server.url}/hello.php`]);
    expect(a.status).toBe(502);
    await waitFor(() => /cannot connect to the FastCGI server at unix:.*nobody\.sock/.test(errorLogText(site)), 5000, "the reason in the error log");
  });
});
