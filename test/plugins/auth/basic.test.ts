// Basic authentication with curl against files made by Apache's htpasswd (-B, -m, -s).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authServer, curl, htpasswd, tempDir } from "./helpers.ts";

describe("auth: Basic with curl and Apache's htpasswd", () => {
  const tmp = tempDir();
  const file = join(tmp.dir, "users.htpasswd");
  let s: Awaited<ReturnType<typeof authServer>>;

  beforeAll(async () => {
    await htpasswd(file, "-B", "bea", "bcrypt-pw", true);
    await htpasswd(file, "-m", "max", "md5-pw");
    await htpasswd(file, "-s", "sam", "sha-pw");
    await htpasswd(file, "-m", "ünï", "pässwörd");
    await htpasswd(file, "-B", "uwe", "grüße");
    s = await authServer({
      users: file,
      realm: 'Members "only"',
      protect: [
        "/private/**",
        { path: "/staff/**", users: ["bea", "max"], realm: "Staff" },
        { path: "/uploads/**", methods: ["PUT", "DELETE"] },
      ],
    });
  });
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it.each([
    ["bea", "bcrypt-pw", "htpasswd -B"],
    ["max", "md5-pw", "htpasswd -m"],
    ["sam", "sha-pw", "htpasswd -s"],
    ["ünï", "pässwörd", "htpasswd -m, UTF-8 user and password"],
    ["uwe", "grüße", "htpasswd -B, UTF-8 password"],
  ])("curl -u %s (%s, %s): 200 and request.user set", async (user, password) => {
    const r = await curl(`${s.url}/private/doc.txt`, { user: `${user}:${password}` });
    expect(r.status).toBe(200);
    expect(r.body).toBe(`GET /private/doc.txt ${user} Basic\n`);
  });

  it.each([
    ["bea", "wrong"],
    ["max", "bcrypt-pw"],
    ["sam", "SHA-PW"],
    ["nobody", "sha-pw"],
    ["", "bcrypt-pw"],
  ])("curl -u %s:%s: 401 with a Basic challenge (RFC 7617)", async (user, password) => {
    const r = await curl(`${s.url}/private/doc.txt`, { user: `${user}:${password}` });
    expect(r.status).toBe(401);
    expect(r.headers).toMatch(/\r\nwww-authenticate: Basic realm="Members \\"only\\"", charset="UTF-8"/i);
    expect(r.body).not.toContain("GET /private");
  });

  it("no credentials: 401 with the challenge", async () => {
    const r = await curl(`${s.url}/private/`);
    expect(r.status).toBe(401);
    expect(r.headers).toMatch(/www-authenticate: Basic realm="Members \\"only\\"", charset="UTF-8"/i);
  });

  it("an unprotected path needs no credentials and sets no user", async () => {
    const r = await curl(`${s.url}/public/index.html`);
    expect(r.status).toBe(200);
    expect(r.body).toBe("GET /public/index.html - -\n");
  });

  it("a rule's users: 403 for a valid user outside the list, 200 inside; the rule's realm", async () => {
    expect((await curl(`${s.url}/staff/plan`, { user: "sam:sha-pw" })).status).toBe(403);
    const ok = await curl(`${s.url}/staff/plan`, { user: "max:md5-pw" });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("GET /staff/plan max Basic\n");
    const challenge = await curl(`${s.url}/staff/plan`);
    expect(challenge.headers).toMatch(/www-authenticate: Basic realm="Staff", charset="UTF-8"/i);
  });

  it("a rule's methods: PUT and DELETE protected, GET open", async () => {
    expect((await curl(`${s.url}/uploads/a.txt`)).status).toBe(200);
    expect((await curl(`${s.url}/uploads/a.txt`, { args: ["-X", "PUT", "--data-binary", "x"] })).status).toBe(401);
    expect((await curl(`${s.url}/uploads/a.txt`, { args: ["-X", "DELETE"] })).status).toBe(401);
    const put = await curl(`${s.url}/uploads/a.txt`, { user: "bea:bcrypt-pw", args: ["-X", "PUT", "--data-binary", "x"] });
    expect(put.status).toBe(200);
    expect(put.body).toBe("PUT /uploads/a.txt bea Basic\n");
  });

  it("HEAD is protected like GET", async () => {
    expect((await curl(`${s.url}/private/doc.txt`, { args: ["-I"] })).status).toBe(401);
    expect((await curl(`${s.url}/private/doc.txt`, { args: ["-I"], user: "bea:bcrypt-pw" })).status).toBe(200);
  });
});

describe("auth: where a relative users path resolves", () => {
  const tmp = tempDir();
  let s: Awaited<ReturnType<typeof authServer>> | undefined;
  afterAll(async () => {
    await s?.stop();
    tmp.remove();
  });

  it("against the config file's folder (server.config.base), not the working directory", async () => {
    await htpasswd(join(tmp.dir, "site.htpasswd"), "-s", "ann", "pw", true);
    s = await authServer({ users: "site.htpasswd", protect: ["/**"] }, { root: join(tmp.dir, "public"), base: tmp.dir });
    expect(s.auth.file).toBe(join(tmp.dir, "site.htpasswd"));
    expect((await curl(`${s.url}/x`, { user: "ann:pw" })).status).toBe(200);
  });
});
