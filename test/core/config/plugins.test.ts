// The plugin resolver (core/plugins.ts). Built-ins come from a stand-in package root under
// test/fixtures/config/pkg, so these tests do not change as the real plugins/ folders appear.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../core/config/index.ts";
import type { PlugdConfig } from "../../../core/config/types.ts";
import { builtinPluginIds, compilePluginSchema, PACKAGE_ROOT, resolvePlugins, type ResolveOptions } from "../../../core/plugins.ts";
import { definePlugin } from "../../../core/define-plugin.ts";

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/config");
const PKG = join(FIXTURES, "pkg");
/** The configs live in the fixtures folder so that "../modules/x.ts" style paths resolve there. */
const CONFIG_FILE = join(FIXTURES, "site", "server.config.json");

function config(plugins: string, file = CONFIG_FILE): PlugdConfig {
  const text = `{
  "servers": [
    {
      "name": "site",
      "listen": ["127.0.0.1:0"],
      "root": ".",
      "plugins": {
${plugins}
      }
    }
  ]
}`;
  return parseConfig(text, file);
}

async function resolveFirst(c: PlugdConfig, options: ResolveOptions = { packageRoot: PKG }) {
  const server = c.servers[0];
  if (server === undefined) throw new Error("no server");
  return resolvePlugins(c, server, options);
}

async function failure(c: PlugdConfig, options?: ResolveOptions): Promise<{ code: string; message: string }> {
  try {
    await resolveFirst(c, options);
  } catch (err) {
    const e = err as { code: string; message: string };
    return { code: e.code, message: e.message.replaceAll(FIXTURES, "<fixtures>") };
  }
  throw new Error("expected resolvePlugins to fail");
}

describe("built-in plugins", () => {
  it("are the folders of plugins/ that hold an index.ts", async () => {
    expect(await builtinPluginIds(PKG)).toEqual(["auth", "get", "log", "post"]);
    expect(await builtinPluginIds(join(FIXTURES, "nowhere"))).toEqual([]);
  });

  it("the package root is the folder above core/", () => {
    expect(PACKAGE_ROOT).toBe(resolve(dirname(fileURLToPath(import.meta.url)), "../../.."));
  });
});

describe("resolvePlugins", () => {
  it("resolves built-ins and modules in config order, with schema defaults filled", async () => {
    const c = config(`
        "get": { "index": "home.html" },
        "echo": { "module": "../modules/echo.ts", "message": "hi" },
        "log": true,
        "post": true,
        "auth": { "users": "./users" }`);
    const plugins = await resolveFirst(c);
    expect(plugins.map((p) => [p.id, p.definition.name, p.options])).toEqual([
      ["get", "get", { index: "home.html", dotfiles: "hide", maxAgeSeconds: 0 }],
      ["echo", "echo", { message: "hi", status: 200, headers: {}, mode: "text" }],
      ["log", "log", { dir: "./logs", format: "combined" }],
      ["post", "post", {}],
      ["auth", "auth", { users: "./users", protect: ["/**"] }],
    ]);
    // Defaults go into a copy: the configuration keeps the options as written.
    expect(c.servers[0]?.plugins[0]?.options).toEqual({ index: "home.html" });
  });

  it("two servers in one config resolve their own plugins", async () => {
    const c = parseConfig(
      `{"servers": [
        {"name": "a", "listen": ["127.0.0.1:0"], "root": "./a", "plugins": {"get": {"dotfiles": "allow"}}},
        {"name": "b", "listen": ["127.0.0.1:0"], "root": "./b", "plugins": {"get": false, "echo": {"module": "../modules/echo.ts", "message": "b"}}}
      ]}`,
      CONFIG_FILE,
    );
    const [a, b] = c.servers;
    if (a === undefined || b === undefined) throw new Error("two servers expected");
    expect(a.root).toBe(join(FIXTURES, "site/a"));
    expect(b.root).toBe(join(FIXTURES, "site/b"));
    const pa = await resolvePlugins(c, a, { packageRoot: PKG });
    const pb = await resolvePlugins(c, b, { packageRoot: PKG });
    expect(pa.map((p) => [p.id, p.options.dotfiles])).toEqual([["get", "allow"]]);
    expect(pb.map((p) => [p.id, p.options.message])).toEqual([["echo", "b"]]);
  });

  it("a module may stand in for a built-in id; its own name does not matter", async () => {
    const plugins = await resolveFirst(config(`"get": { "module": "../modules/echo.ts", "message": "x" }`));
    expect(plugins.map((p) => [p.id, p.definition.name])).toEqual([["get", "echo"]]);
  });

  it("finds the real built-ins by default (none is required to exist)", async () => {
    const c = config(`"echo": { "module": "../modules/echo.ts", "message": "x" }`);
    const plugins = await resolveFirst(c, {});
    expect(plugins.map((p) => p.id)).toEqual(["echo"]);
  });

  it("unknown plugin id, with did-you-mean and the built-ins", async () => {
    const f = await failure(config(`
        "gte": {},
        "post": true,
        "metrics": true`));
    expect(f.code).toBe("PLUGD_ERR_CONFIG_UNKNOWN_PLUGIN");
    expect(f.message).toMatchInlineSnapshot(`
      "<fixtures>/site/server.config.json:9:9: /servers/0/plugins/gte: unknown plugin "gte"; did you mean "get"? (built-in plugins: auth, get, log, post; a custom plugin needs a "module" path)
      <fixtures>/site/server.config.json:11:9: /servers/0/plugins/metrics: unknown plugin "metrics" (built-in plugins: auth, get, log, post; a custom plugin needs a "module" path)"
    `);
  });

  it("plugin options failing the plugin's schema (custom module)", async () => {
    const f = await failure(
      config(`
        "echo": {
          "module": "../modules/echo.ts",
          "mesage": "hi",
          "status": 99,
          "headers": { "x-a": 1 },
          "mode": true
        }`),
    );
    expect(f.code).toBe("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS");
    expect(f.message).toMatchInlineSnapshot(`
      "<fixtures>/site/server.config.json:9:17: /servers/0/plugins/echo: missing required option "message"
      <fixtures>/site/server.config.json:11:11: /servers/0/plugins/echo/mesage: unknown option; did you mean "message"?
      <fixtures>/site/server.config.json:12:21: /servers/0/plugins/echo/status: expected a number >= 100, got 99
      <fixtures>/site/server.config.json:13:31: /servers/0/plugins/echo/headers/x-a: expected string, got integer 1
      <fixtures>/site/server.config.json:14:19: /servers/0/plugins/echo/mode: expected "text" or integer, got boolean true"
    `);
  });

  it("plugin options failing a built-in's schema, across plugins", async () => {
    const f = await failure(
      config(`
        "get": { "index": "", "dotfiles": "show" },
        "log": { "dri": "./x" },
        "auth": true`),
    );
    expect(f.code).toBe("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS");
    expect(f.message).toMatchInlineSnapshot(`
      "<fixtures>/site/server.config.json:9:27: /servers/0/plugins/get/index: expected a non-empty string
      <fixtures>/site/server.config.json:9:43: /servers/0/plugins/get/dotfiles: expected one of "hide", "allow", "deny", got string "show"
      <fixtures>/site/server.config.json:10:18: /servers/0/plugins/log/dri: unknown option; did you mean "dir"?
      <fixtures>/site/server.config.json:11:17: /servers/0/plugins/auth: missing required option "users""
    `);
  });

  it("a plugin without a schema takes no options", async () => {
    const f = await failure(config(`"post": { "maxBytes": 10 }`));
    expect(f.code).toBe("PLUGD_ERR_CONFIG_PLUGIN_OPTIONS");
    expect(f.message).toMatchInlineSnapshot(`"<fixtures>/site/server.config.json:8:11: /servers/0/plugins/post/maxBytes: unknown option; plugin "post" takes no options"`);
  });

  it("missing module", async () => {
    const f = await failure(config(`"echo": { "module": "../modules/missing.ts" }`));
    expect(f.code).toBe("PLUGD_ERR_PLUGIN_LOAD");
    expect(f.message).toMatchInlineSnapshot(`"<fixtures>/site/server.config.json:8:21: /servers/0/plugins/echo/module: cannot load plugin module <fixtures>/modules/missing.ts: no such file"`);
  });

  it("module that is not a plugin, has no default export, or throws on import", async () => {
    const f = await failure(
      config(`
        "a": { "module": "../modules/not-a-plugin.ts" },
        "b": { "module": "../modules/no-default.ts" },
        "c": { "module": "../modules/throws.ts" },
        "d": { "module": "../modules" }`),
    );
    expect(f.code).toBe("PLUGD_ERR_PLUGIN_LOAD");
    expect(f.message).toMatchInlineSnapshot(`
      "<fixtures>/site/server.config.json:9:26: /servers/0/plugins/a/module: plugin module <fixtures>/modules/not-a-plugin.ts has a default export without a string "name" and an "apply" function; expected "export default definePlugin({ name, apply, ... })"
      <fixtures>/site/server.config.json:10:26: /servers/0/plugins/b/module: plugin module <fixtures>/modules/no-default.ts has no default export; expected "export default definePlugin({ name, apply, ... })"
      <fixtures>/site/server.config.json:11:26: /servers/0/plugins/c/module: cannot load plugin module <fixtures>/modules/throws.ts: boom while importing
      <fixtures>/site/server.config.json:12:26: /servers/0/plugins/d/module: cannot load plugin module <fixtures>/modules: not a file"
    `);
  });

  it("a plugin whose schema does not compile", async () => {
    const f = await failure(config(`"bad": { "module": "../modules/bad-schema.ts" }`));
    expect(f.code).toBe("PLUGD_ERR_PLUGIN_LOAD");
    expect(f.message).toMatchInlineSnapshot(`"<fixtures>/site/server.config.json:8:20: /servers/0/plugins/bad/module: plugin module <fixtures>/modules/bad-schema.ts has an unusable options schema: schema is invalid: data/properties/port/type must be equal to one of the allowed values, data/properties/port/type must be array, data/properties/port/type must match a schema in anyOf"`);
  });

  it("a built-in whose plugin has another name", async () => {
    const f = await failure(config(`"get": true`), { packageRoot: join(FIXTURES, "pkg-misnamed") });
    expect(f.code).toBe("PLUGD_ERR_PLUGIN_LOAD");
    expect(f.message).toMatchInlineSnapshot(`"<fixtures>/site/server.config.json:8:1: /servers/0/plugins/get: built-in plugin "get" (<fixtures>/pkg-misnamed/plugins/get/index.ts) is named "gte", not "get""`);
  });

  it("missing dependency: not in the config, or turned off", async () => {
    const f = await failure(
      config(`
        "log": false,
        "auth": { "users": "./u" },
        "needs": { "module": "../modules/needs-metrics.ts" }`),
    );
    expect(f.code).toBe("PLUGD_ERR_PLUGIN_DEPENDENCY");
    expect(f.message).toMatchInlineSnapshot(`
      "<fixtures>/site/server.config.json:10:9: /servers/0/plugins/auth: plugin "auth" needs plugin "log", which is turned off on server "site"
      <fixtures>/site/server.config.json:11:9: /servers/0/plugins/needs: plugin "needs" needs plugin "log", which is turned off on server "site"
      <fixtures>/site/server.config.json:11:9: /servers/0/plugins/needs: plugin "needs" needs plugin "metrics", which is not enabled on server "site""
    `);
  });

  it("without the config's text, messages name the file and path", async () => {
    const c = config(`"post": { "x": 1 }`);
    const server = c.servers[0];
    if (server === undefined) throw new Error("no server");
    const bare: PlugdConfig = { file: c.file, servers: [server] };
    const f = await failure(bare);
    expect(f.message).toMatchInlineSnapshot(`"<fixtures>/site/server.config.json: /servers/0/plugins/post/x: unknown option; plugin "post" takes no options"`);
  });

  it("compiles a schema once per schema object", async () => {
    const schema = { type: "object", properties: { n: { type: "integer", default: 1 } } };
    const one = definePlugin({ name: "one", schema, apply() {} });
    const two = definePlugin({ name: "two", schema, apply() {} });
    const v1 = await compilePluginSchema(one);
    expect(v1).toBeDefined();
    expect(await compilePluginSchema(two)).toBe(v1);
    expect(await compilePluginSchema(definePlugin({ name: "none", apply() {} }))).toBeUndefined();
  });
});
