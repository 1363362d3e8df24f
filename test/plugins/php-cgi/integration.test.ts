// php-cgi with the plugins around it: the user an `authorize` tap verified (AUTH_TYPE,
// REMOTE_USER), Authorization only when opted in, `authorize` again for an internal
// redirect, the gateway's own environment hook, the script-extension registry `put` reads,
// get's index list, more extensions.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { definePlugin } from "../../../core/define-plugin.ts";
import { error as errorResponse } from "../../../core/http/response.ts";
import { indexFiles } from "../../../plugins/get/index.ts";
import { phpCgiHooks } from "../../../plugins/php-cgi/index.ts";
import { scriptExtensions } from "../../../plugins/shared/scripts.ts";
import type { TestServer } from "../../helpers/server.ts";
import { curl, json, makeSite, phpServer, type Site } from "./helpers.ts";

/** Stands in for the auth plugin: "Authorization: Basic ..." of alice is alice; /private/** is 403. */
const fakeAuth = definePlugin({
  name: "fake-auth",
  apply(server) {
    server.hooks.authorize.tap("fake-auth", (request) => {
      if (request.path.startsWith("/private/")) return errorResponse(403);
      if (request.headers.get("authorization") === `Basic ${Buffer.from("alice:pw").toString("base64")}`) {
        request.user = { name: "alice", authType: "Basic" };
      }
      return undefined;
    });
  },
});

/** Uses the gateway's own hook to add a variable. */
const envAdder = definePlugin({
  name: "env-adder",
  apply(server) {
    phpCgiHooks(server).environment.tap("env-adder", (env, request) => {
      env.set("APP_ENV", "test");
      env.set("APP_PATH_SEEN", request.path);
      env.set("APP_NAME", "Zoë ✓");
    });
  },
});

const ALICE = `Authorization: Basic ${Buffer.from("alice:pw").toString("base64")}`;

describe("php-cgi with other plugins", () => {
  let site: Site;
  let server: TestServer;
  let passing: TestServer;

  beforeAll(async () => {
    site = makeSite();
    mkdirSync(path.join(site.root, "private"));
    writeFileSync(path.join(site.root, "private/secret.php"), "<?php echo 'SECRET';");
    writeFileSync(path.join(site.root, "to-private.php"), "<?php header('Location: /private/secret.php', true, 200);");
    writeFileSync(path.join(site.root, "page.phtml"), "<?php echo 'phtml ran';");
    writeFileSync(path.join(site.root, "UPPER.PHP"), "<?php echo 'upper ran';");
    server = await phpServer(site, { extensions: [".php", ".phtml"] }, [fakeAuth, envAdder]);
    passing = await phpServer(site, { passAuthorization: true }, [fakeAuth]);
  });

  afterAll(async () => {
    await server?.stop();
    await passing?.stop();
    site?.cleanup();
  });

  it("AUTH_TYPE and REMOTE_USER come from request.user; the credentials are withheld", async () => {
    const env = json<Record<string, string>>(await curl(["-H", ALICE, `${server.url}/env.php`]));
    expect(env.AUTH_TYPE).toBe("Basic");
    expect(env.REMOTE_USER).toBe("alice");
    expect(env.HTTP_AUTHORIZATION).toBeUndefined();
    expect(env.PHP_AUTH_PW).toBeUndefined();
    const anonymous = json<Record<string, string>>(await curl([`${server.url}/env.php`]));
    expect(anonymous.AUTH_TYPE).toBeUndefined();
    expect(anonymous.REMOTE_USER).toBeUndefined();
  });

  it("passAuthorization: true passes Authorization as HTTP_AUTHORIZATION", async () => {
    const env = json<Record<string, string>>(await curl(["-H", ALICE, `${passing.url}/env.php`]));
    expect(env.HTTP_AUTHORIZATION).toBe(`Basic ${Buffer.from("alice:pw").toString("base64")}`);
    expect(env.PHP_AUTH_USER).toBe("alice");
    expect(env.REMOTE_USER).toBe("alice");
  });

  it("an internal redirect goes through authorize again: a protected target stays protected", async () => {
    expect((await curl([`${server.url}/private/secret.php`])).status).toBe(403);
    const a = await curl([`${server.url}/to-private.php`]);
    expect(a.status).toBe(403);
    expect(a.body.toString()).not.toContain("SECRET");
  });

  it("other plugins add variables through phpCgiHooks(server).environment", async () => {
    const env = json<Record<string, string>>(await curl([`${server.url}/env.php`]));
    expect(env.APP_ENV).toBe("test");
    expect(env.APP_PATH_SEEN).toBe("/env.php");
    // Text a tap sets reaches PHP as its UTF-8 bytes.
    expect(env.APP_NAME).toBe("Zoë ✓");
  });

  it("extensions are registered for put, index.php comes after get's index.html", () => {
    expect([...scriptExtensions(server.server)].sort()).toEqual([".php", ".phtml"]);
    expect([...scriptExtensions(passing.server)]).toEqual([".php"]);
    const names = indexFiles(server.server);
    expect(names.indexOf("index.php")).toBeGreaterThan(names.indexOf("index.html"));
    expect(names.indexOf("index.html")).toBeGreaterThanOrEqual(0);
  });

  it("every configured extension runs, whatever its case", async () => {
    expect((await curl([`${server.url}/page.phtml`])).body.toString()).toBe("phtml ran");
    expect((await curl([`${server.url}/UPPER.PHP`])).body.toString()).toBe("upper ran");
    // Not configured on this server: never run, and (get) served as a file.
    expect((await curl([`${passing.url}/page.phtml`])).body.toString()).toContain("<?php");
  });
});
