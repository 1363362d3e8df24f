// What verification costs, observed through the verifier's counters (not timing): the cache
// keeps bcrypt from running per request, an unknown user costs one hash like a known one,
// and repeated failures from one client are throttled with 429 + Retry-After.
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseHtpasswd, type UserTable } from "../../../plugins/auth/htpasswd.ts";
import { Verifier } from "../../../plugins/auth/verify.ts";
import { rawExchange, statuses } from "../../helpers/server.ts";
import { authServer, basic, curl, htpasswd, tempDir } from "./helpers.ts";

const run = promisify(execFile);

describe("auth: hash cache and unknown users", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-B", "bea", "pw-bea", true);
    await htpasswd(file, "-B", "bob", "pw-bob");
    s = await authServer({ users: file, throttle: { maxFailures: 0, windowSeconds: 60 } });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it("bcrypt runs once for repeated requests with the same credentials", async () => {
    const before = { ...s.auth.verifier.stats };
    for (let i = 0; i < 5; i++) expect((await curl(`${s.url}/f`, { user: "bea:pw-bea" })).status).toBe(200);
    const after = s.auth.verifier.stats;
    expect(after.bcrypt - before.bcrypt).toBe(1);
    expect(after.cacheHits - before.cacheHits).toBe(4);
  });

  it("a wrong password is never cached: each attempt hashes", async () => {
    const before = s.auth.verifier.stats.bcrypt;
    for (let i = 0; i < 3; i++) expect((await curl(`${s.url}/f`, { user: "bea:nope" })).status).toBe(401);
    expect(s.auth.verifier.stats.bcrypt - before).toBe(3);
  });

  it("another user's success does not unlock a cached entry for someone else", async () => {
    const before = s.auth.verifier.stats.bcrypt;
    expect((await curl(`${s.url}/f`, { user: "bob:pw-bea" })).status).toBe(401);
    expect((await curl(`${s.url}/f`, { user: "bob:pw-bob" })).status).toBe(200);
    expect(s.auth.verifier.stats.bcrypt - before).toBe(2);
  });

  it("one keep-alive connection: the next request is recalled, other credentials on it are not", async () => {
    const before = { ...s.auth.verifier.stats };
    // curl reuses the connection across URLs and --next; each part has its own credentials.
    const { stdout } = await run("curl", [
      "-s", "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null", "-o", "/dev/null", "-u", "bob:pw-bob", `${s.url}/k1`, `${s.url}/k2`,
      "--next", "-s", "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null", "-u", "bob:pw-bea", `${s.url}/k3`,
      "--next", "-s", "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null", "-u", "bea:pw-bob", `${s.url}/k4`,
    ]);
    expect(stdout).toBe("200 1\n200 0\n401 0\n401 0\n");
    // bob's password is cached from the test before: only the two wrong ones hash.
    expect(s.auth.verifier.stats.bcrypt - before.bcrypt).toBe(2);
  });

  it("an unknown user runs exactly one bcrypt of the file's cost, like a known one", async () => {
    const before = { ...s.auth.verifier.stats };
    expect((await curl(`${s.url}/f`, { user: "nobody:pw-bea" })).status).toBe(401);
    const after = s.auth.verifier.stats;
    expect(after.hashes - before.hashes).toBe(1);
    expect(after.bcrypt - before.bcrypt).toBe(1);
    expect(after.dummies - before.dummies).toBe(1);
  });
});

describe("auth: failed attempts are throttled", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    const file = join(tmp.dir, "users.htpasswd");
    await htpasswd(file, "-s", "sam", "pw", true);
    s = await authServer({ users: file, protect: ["/private/**"], throttle: { maxFailures: 3, windowSeconds: 120 } });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  const get = (path: string, auth?: string): Promise<Buffer> =>
    rawExchange(s.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n${auth !== undefined ? `Authorization: ${auth}\r\n` : ""}Connection: close\r\n\r\n`);

  it("missing credentials are not failures; bad ones are; the 4th bad attempt gets 429 with Retry-After", async () => {
    for (let i = 0; i < 5; i++) expect(statuses(await get("/private/x"))).toEqual([401]);
    for (let i = 0; i < 3; i++) expect(statuses(await get("/private/x", basic("sam", `guess${i}`)))).toEqual([401]);
    const blocked = (await get("/private/x", basic("sam", "guess3"))).toString("latin1");
    expect(blocked).toMatch(/^HTTP\/1\.1 429 /);
    const retry = Number(/\r\nretry-after: (\d+)\r\n/i.exec(blocked)?.[1]);
    expect(retry).toBeGreaterThan(100);
    expect(retry).toBeLessThanOrEqual(120);
    // While blocked, even the right password gets 429: otherwise guessing would go on.
    expect(statuses(await get("/private/x", basic("sam", "pw")))).toEqual([429]);
    // Paths that need no credentials stay open.
    expect(statuses(await get("/public/x"))).toEqual([200]);
  });

  it("guesses still being hashed count: 6 pipelined bcrypt guesses give 3 x 401, then 429", async () => {
    const file = join(tmp.dir, "bcrypt.htpasswd");
    await htpasswd(file, "-B", "bea", "right", true);
    const t = await authServer({ users: file, throttle: { maxFailures: 3, windowSeconds: 60 } });
    try {
      const one = (i: number, last: boolean): string =>
        `GET /g${i} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic("bea", `guess${i}`)}\r\n${last ? "Connection: close\r\n" : ""}\r\n`;
      const got = await rawExchange(t.port, [0, 1, 2, 3, 4, 5].map((i) => one(i, i === 5)).join(""));
      expect(statuses(got)).toEqual([401, 401, 401, 429, 429, 429]);
      expect(t.auth.verifier.stats.bcrypt).toBe(3);
    } finally {
      await t.stop();
    }
  });

  it("the same credentials on many connections at once: one bcrypt, one guess", async () => {
    const file = join(tmp.dir, "herd.htpasswd");
    await htpasswd(file, "-B", "bea", "right", true);
    const t = await authServer({ users: file, throttle: { maxFailures: 2, windowSeconds: 60 } });
    const pipelined = (password: string, count: number): string =>
      Array.from({ length: count }, (_, i) => `GET /h${i} HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic("bea", password)}\r\n${i === count - 1 ? "Connection: close\r\n" : ""}\r\n`).join("");
    try {
      expect(statuses(await rawExchange(t.port, pipelined("right", 6)))).toEqual([200, 200, 200, 200, 200, 200]);
      expect(t.auth.verifier.stats.bcrypt).toBe(1);
      expect(statuses(await rawExchange(t.port, pipelined("wrong", 6)))).toEqual([401, 401, 401, 401, 401, 401]);
      expect(t.auth.verifier.stats.bcrypt).toBe(2);
      // Six identical wrong guesses were one failure (maxFailures 2): one more guess is allowed ...
      expect(statuses(await rawExchange(t.port, pipelined("other", 1)))).toEqual([401]);
      // ... and then the client waits, even with the right (cached) password.
      expect(statuses(await rawExchange(t.port, pipelined("right", 1)))).toEqual([429]);
    } finally {
      await t.stop();
    }
  });

  it("the counter is per client address: another address still gets in", async () => {
    // 127.0.0.2 is loopback too, but another client address.
    const other = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect({ port: s.port, host: "127.0.0.1", localAddress: "127.0.0.2" });
      const chunks: Buffer[] = [];
      socket.on("data", (c) => chunks.push(c));
      socket.on("close", () => resolve(Buffer.concat(chunks)));
      socket.on("error", reject);
      socket.write(`GET /private/x HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic("sam", "pw")}\r\nConnection: close\r\n\r\n`);
    });
    expect(statuses(other)).toEqual([200]);
  });
});

describe("auth: the verification cache is bounded", () => {
  const sha = (password: string): string => `{SHA}${createHash("sha1").update(password).digest("base64")}`;
  const probe = new Verifier(0);
  const field = (user: string, password: string): string => basic(user, password);
  // Each call from a new "connection" (object): only the LRU can answer, not a connection's last proof.
  const verify = (v: Verifier, table: UserTable, user: string, password: string, connection: object = {}): boolean | Promise<boolean> =>
    v.verify(table, user, Buffer.from(password), probe.key(field(user, password)), field(user, password), connection);
  const recall = (v: Verifier, table: UserTable, user: string, password: string, connection: object = {}): string | undefined =>
    v.recall(table, field(user, password), connection);

  it("past cacheSize, the least recently used success is forgotten; a changed hash voids a success", () => {
    const table = parseHtpasswd(`a:${sha("pa")}\nb:${sha("pb")}\nc:${sha("pc")}\n`, "f");
    const verifier = new Verifier(2);
    expect(verify(verifier, table, "a", "pa")).toBe(true);
    expect(verify(verifier, table, "b", "pb")).toBe(true);
    expect(recall(verifier, table, "a", "pa")).toBe("a");
    expect(verify(verifier, table, "c", "pc")).toBe(true);
    expect(recall(verifier, table, "a", "pa")).toBe("a");
    expect(recall(verifier, table, "b", "pb")).toBeUndefined();
    expect(recall(verifier, table, "c", "pc")).toBe("c");
    expect(recall(verifier, table, "a", "wrong")).toBeUndefined();
    const changed = parseHtpasswd(`a:${sha("new")}\nc:${sha("pc")}\n`, "f");
    expect(recall(verifier, changed, "a", "pa")).toBeUndefined();
    expect(recall(verifier, changed, "c", "pc")).toBe("c");
  });

  it("a connection's last proof answers only the same field, and only while the hash is the same", () => {
    const table = parseHtpasswd(`a:${sha("pa")}\nb:${sha("pb")}\n`, "f");
    const verifier = new Verifier(10);
    const connection = {};
    expect(verify(verifier, table, "a", "pa", connection)).toBe(true);
    expect(recall(verifier, table, "a", "pa", connection)).toBe("a");
    expect(recall(verifier, table, "b", "pb", connection)).toBeUndefined();
    expect(recall(verifier, table, "a", "pA", connection)).toBeUndefined();
    const changed = parseHtpasswd(`a:${sha("new")}\n`, "f");
    expect(recall(verifier, changed, "a", "pa", connection)).toBeUndefined();
    const removed = parseHtpasswd(`b:${sha("pb")}\n`, "f");
    expect(recall(verifier, removed, "a", "pa", connection)).toBeUndefined();
  });

  it("cacheSize 0 remembers nothing", () => {
    const table = parseHtpasswd(`a:${sha("pa")}\n`, "f");
    const verifier = new Verifier(0);
    const connection = {};
    expect(verify(verifier, table, "a", "pa", connection)).toBe(true);
    expect(recall(verifier, table, "a", "pa", connection)).toBeUndefined();
  });
});
