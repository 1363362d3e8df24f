import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSource, loadConfig, parseConfig } from "../../../core/config/index.ts";
import { DEFAULT_LIMITS } from "../../../core/config/types.ts";
import { errorCode } from "../../../core/errors.ts";

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/config");

/** The error `fn` throws (failing the test if it does not). */
function thrown(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

async function rejected(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/** One server with the given members merged over a valid minimum, as JSON text. */
function oneServer(extra: string): string {
  return `{
  "servers": [
    {
      "name": "site",
      "listen": ["127.0.0.1:8080"],
      "root": "./public",
      "plugins": { "get": {} }${extra}
    }
  ]
}`;
}

describe("parseConfig errors", () => {
  it("JSON syntax error: first one, with line:column", () => {
    const err = thrown(() => parseConfig('{\n  "servers": [\n    { "name": "a" "root": "." }\n  ]\n}\n', "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_JSON");
    expect(err.message).toMatchInlineSnapshot(`"server.config.json:3:19: invalid JSON: expected ','"`);
  });

  it.each([
    ['{"servers": [],}', "trailing comma"],
    ['{"servers": [1,]}', "trailing comma (array)"],
    ['// note\n{"servers": []}', "comment"],
    ['{"servers": "a\tb"}', "control character"],
    ["", "empty file"],
    ['{"servers": []} {}', "two values"],
    ['{"servers": [', "end of file"],
  ])("JSON syntax error: %j (%s)", (text) => {
    const err = thrown(() => parseConfig(text, "c.json"));
    expect(errorCode(err)).toBe("PLUGD_ERR_CONFIG_JSON");
    expect(err.message).toMatch(/^c\.json:\d+:\d+: invalid JSON: /);
  });

  it("JSON syntax errors name the exact spot", () => {
    const messages = [
      '{"servers": [],}',
      '{"servers": [1,]}',
      '\n\n  // note\n{"servers": []}',
      '{\n  "servers": "a\tb"\n}',
      "",
      '{"servers": []} {}',
      '{"servers": [',
    ].map((text) => thrown(() => parseConfig(text, "c.json")).message);
    expect(messages).toMatchInlineSnapshot(`
      [
        "c.json:1:16: invalid JSON: trailing comma before '}'",
        "c.json:1:16: invalid JSON: trailing comma before ']'",
        "c.json:3:3: invalid JSON: comments are not allowed in JSON",
        "c.json:2:16: invalid JSON: control character in a string (write it as an escape, e.g. \\t)",
        "c.json:1:1: invalid JSON: unexpected end of file",
        "c.json:1:17: invalid JSON: unexpected text after the end of the top-level value",
        "c.json:1:14: invalid JSON: unexpected end of file; expected ']'",
      ]
    `);
  });

  it("wrong type", () => {
    const err = thrown(() => parseConfig(oneServer(`,\n      "timing": "yes",\n      "limits": { "maxBodyBytes": "10M" }`), "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`
      "server.config.json:8:17: /servers/0/timing: expected boolean, got string "yes"
      server.config.json:9:35: /servers/0/limits/maxBodyBytes: expected integer, got string "10M""
    `);
  });

  it("unknown key, with did-you-mean, pointing at the key", () => {
    const err = thrown(() => parseConfig(oneServer(`,\n      "limits": {\n        "maxHeadrBytes": 16384\n      }`), "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`"server.config.json:9:9: /servers/0/limits/maxHeadrBytes: unknown key; did you mean "maxHeaderBytes"?"`);
  });

  it("unknown key with nothing close lists the known keys", () => {
    const err = thrown(() => parseConfig(oneServer(`,\n      "document-root": "."`), "server.config.json"));
    expect(err.message).toMatchInlineSnapshot(`"server.config.json:8:7: /servers/0/document-root: unknown key; known keys: name, listen, root, limits, timing, plugins"`);
  });

  it("bad listen addresses", () => {
    const text = `{
  "servers": [
    {
      "name": "site",
      "listen": ["127.0.0.1", "::1:8080", "[::1]8080", "localhost:65536", "256.1.1.1:80", ":80", "bad_host:80"],
      "root": ".",
      "plugins": {}
    }
  ]
}`;
    const err = thrown(() => parseConfig(text, "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`
      "server.config.json:5:18: /servers/0/listen/0: invalid listen address "127.0.0.1": missing port: expected "host:port", e.g. "127.0.0.1:8080"
      server.config.json:5:31: /servers/0/listen/1: invalid listen address "::1:8080": an IPv6 address goes in brackets: "[::1]:8080"
      server.config.json:5:43: /servers/0/listen/2: invalid listen address "[::1]8080": missing port: expected "[IPv6]:port", e.g. "[::1]:8080"
      server.config.json:5:56: /servers/0/listen/3: invalid listen address "localhost:65536": port "65536" is not an integer from 0 to 65535
      server.config.json:5:75: /servers/0/listen/4: invalid listen address "256.1.1.1:80": "256.1.1.1" is not an IPv4 address
      server.config.json:5:91: /servers/0/listen/5: invalid listen address ":80": missing host: write "0.0.0.0" (all IPv4) or "[::]" (all IPv6 and IPv4) for every interface
      server.config.json:5:98: /servers/0/listen/6: invalid listen address "bad_host:80": "bad_host" is not a valid host name"
    `);
  });

  it("duplicate listen addresses (across servers, IPv6 compared canonically) and server names", () => {
    const text = `{
  "servers": [
    { "name": "a", "listen": ["127.0.0.1:8080", "[::1]:9000", "127.0.0.1:0"], "root": ".", "plugins": {} },
    { "name": "b", "listen": ["127.0.0.1:8080", "[0:0:0:0:0:0:0:1]:9000", "127.0.0.1:0"], "root": ".", "plugins": {} },
    { "name": "a", "listen": ["LOCALHOST:80", "localhost:80"], "root": ".", "plugins": {} }
  ]
}`;
    const err = thrown(() => parseConfig(text, "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`
      "server.config.json:4:31: /servers/1/listen/0: duplicate listen address "127.0.0.1:8080": already used at 3:31 (/servers/0/listen/0)
      server.config.json:4:49: /servers/1/listen/1: duplicate listen address "[0:0:0:0:0:0:0:1]:9000": already used ("[::1]:9000") at 3:49 (/servers/0/listen/1)
      server.config.json:5:15: /servers/2/name: duplicate server name "a": already used at 3:15 (/servers/0/name)
      server.config.json:5:47: /servers/2/listen/1: duplicate listen address "localhost:80": already used ("LOCALHOST:80") at 5:31 (/servers/2/listen/0)"
    `);
  });

  it("missing servers", () => {
    const err = thrown(() => parseConfig('{\n  "$schema": "./schemas/server.config.schema.json"\n}\n', "server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`"server.config.json:1:1: /: missing required key "servers""`);
  });

  it("reports every problem, one per line, sorted by position", () => {
    const text = `{
  "servers": [
    {
      "name": "",
      "listen": [],
      "rooot": ".",
      "limits": { "maxHeaderBytes": 100, "headersTimeoutMs": 1.5, "shutdownGraceMs": -1 },
      "plugins": { "Get": true, "php-cgi": "yes", "put": { "enabled": "no" }, "get": {}, "get": false }
    }
  ],
  "extra": true
}`;
    const err = thrown(() => parseConfig(text, "conf/server.config.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_INVALID");
    expect(err.message).toMatchInlineSnapshot(`
      "conf/server.config.json:3:5: /servers/0: missing required key "root"
      conf/server.config.json:4:15: /servers/0/name: expected a non-empty string
      conf/server.config.json:5:17: /servers/0/listen: expected at least 1 item, got 0
      conf/server.config.json:6:7: /servers/0/rooot: unknown key; did you mean "root"?
      conf/server.config.json:7:37: /servers/0/limits/maxHeaderBytes: expected a number >= 1024, got 100
      conf/server.config.json:7:62: /servers/0/limits/headersTimeoutMs: expected integer, got number 1.5
      conf/server.config.json:7:86: /servers/0/limits/shutdownGraceMs: expected a number >= 0, got -1
      conf/server.config.json:8:20: /servers/0/plugins/Get: invalid key "Get"; expected a plugin id: lower-case letters, digits and dashes, starting with a letter
      conf/server.config.json:8:44: /servers/0/plugins/php-cgi: expected boolean or object, got string "yes"
      conf/server.config.json:8:71: /servers/0/plugins/put/enabled: expected boolean, got string "no"
      conf/server.config.json:8:90: /servers/0/plugins/get: duplicate key "get": already at 8:79
      conf/server.config.json:11:3: /extra: unknown key; known keys: $schema, servers"
    `);
    const issues = err.details?.issues as { line: number; column: number }[];
    const order = issues.map((i) => i.line * 1000 + i.column);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("a top level that is not an object", () => {
    expect(thrown(() => parseConfig("[]", "server.config.json")).message).toMatchInlineSnapshot(`"server.config.json:1:1: /: expected object, got an array"`);
  });
});

describe("loadConfig", () => {
  it("cannot read: names the file as given", async () => {
    const err = await rejected(loadConfig("test/fixtures/config/site/missing.json"));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_READ");
    expect(err.message).toMatchInlineSnapshot(`"test/fixtures/config/site/missing.json: cannot read the configuration: no such file"`);
  });

  it("a folder is not a configuration", async () => {
    const err = await rejected(loadConfig(join(FIXTURES, "site")));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_READ");
    expect(err.message.replace(FIXTURES, "<fixtures>")).toMatchInlineSnapshot(`"<fixtures>/site: cannot read the configuration: it is a folder, not a file"`);
  });

  it("a file that is not UTF-8", async () => {
    const err = await rejected(loadConfig(join(FIXTURES, "site/latin1.json")));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_READ");
    expect(err.message.replace(FIXTURES, "<fixtures>")).toMatchInlineSnapshot(`"<fixtures>/site/latin1.json: cannot read the configuration: not valid UTF-8"`);
  });

  it("syntax error in a file", async () => {
    const err = await rejected(loadConfig(join(FIXTURES, "site/broken.json")));
    expect(err.code).toBe("PLUGD_ERR_CONFIG_JSON");
    expect(err.message.replace(FIXTURES, "<fixtures>")).toMatchInlineSnapshot(`"<fixtures>/site/broken.json:3:46: invalid JSON: expected ','"`);
  });

  it("loads and normalizes two servers", async () => {
    const file = join(FIXTURES, "site/server.config.json");
    const config = await loadConfig(file);
    const site = join(FIXTURES, "site");
    expect(config.file).toBe(file);
    expect(config.servers).toEqual([
      {
        name: "site",
        listen: [
          { text: "127.0.0.1:8080", host: "127.0.0.1", port: 8080 },
          { text: "[::1]:8080", host: "::1", port: 8080 },
        ],
        root: join(site, "public"),
        base: site,
        limits: { ...DEFAULT_LIMITS, maxBodyBytes: 1048576, keepAliveTimeoutMs: 2000 },
        timing: false,
        plugins: [
          { id: "get", options: { index: "home.html" } },
          { id: "post", options: {} },
          { id: "echo", module: join(FIXTURES, "modules/echo.ts"), options: { message: "hi" } },
        ],
      },
      {
        name: "admin",
        listen: [{ text: "localhost:9090", host: "localhost", port: 9090 }],
        root: "/srv/admin",
        base: site,
        limits: DEFAULT_LIMITS,
        timing: true,
        plugins: [
          { id: "log", options: { format: "json" } },
          { id: "auth", options: { users: "./users.htpasswd" } },
        ],
      },
    ]);
    expect(configSource(config)?.file).toBe(file);
  });
});

describe("parseConfig normalization", () => {
  it("fills defaults: all limits, timing false", () => {
    const config = parseConfig(oneServer(""), "server.config.json");
    const server = config.servers[0];
    expect(server?.limits).toEqual(DEFAULT_LIMITS);
    expect(server?.timing).toBe(false);
  });

  it("merges given limits over the defaults", () => {
    const config = parseConfig(oneServer(`,\n      "limits": { "maxHeaderBytes": 4096, "shutdownGraceMs": 0 }`), "server.config.json");
    expect(config.servers[0]?.limits).toEqual({ ...DEFAULT_LIMITS, maxHeaderBytes: 4096, shutdownGraceMs: 0 });
  });

  it("resolves root and module against the config file's folder, not the working directory", () => {
    const text = `{"servers": [{"name": "a", "listen": ["127.0.0.1:0"], "root": "../www",
      "plugins": {"x": {"module": "./plugins/x.ts", "level": 3}}}]}`;
    const config = parseConfig(text, "/etc/plugd/server.config.json");
    expect(config.file).toBe("/etc/plugd/server.config.json");
    expect(config.servers[0]?.root).toBe("/etc/www");
    expect(config.servers[0]?.plugins).toEqual([{ id: "x", module: "/etc/plugd/plugins/x.ts", options: { level: 3 } }]);
  });

  it("drops false and enabled:false; true is {}; module and enabled are not options", () => {
    const text = oneServer("").replace(
      '"plugins": { "get": {} }',
      `"plugins": { "get": true, "put": false, "delete": { "enabled": false, "dir": "x" },
        "post": { "enabled": true, "maxBytes": 5 }, "echo": { "module": "e.ts", "enabled": true } }`,
    );
    const config = parseConfig(text, "/srv/server.config.json");
    expect(config.servers[0]?.plugins).toEqual([
      { id: "get", options: {} },
      { id: "post", options: { maxBytes: 5 } },
      { id: "echo", module: "/srv/e.ts", options: {} },
    ]);
  });

  it("keeps an option named __proto__ as data", () => {
    const text = oneServer("").replace('"get": {}', '"get": { "__proto__": { "polluted": true } }');
    const config = parseConfig(text, "server.config.json");
    const options = config.servers[0]?.plugins[0]?.options;
    expect(Object.keys(options ?? {})).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("accepts a byte order mark and CRLF line endings, and counts lines right", () => {
    const text = "\uFEFF" + oneServer(`,\n      "timing": 1`).replaceAll("\n", "\r\n");
    const err = thrown(() => parseConfig(text, "server.config.json"));
    expect(err.message).toBe("server.config.json:8:17: /servers/0/timing: expected boolean, got integer 1");
    expect(parseConfig("\uFEFF" + oneServer("").replaceAll("\n", "\r\n"), "s.json").servers).toHaveLength(1);
  });

  it("returns a frozen configuration", () => {
    const config = parseConfig(oneServer(""), "server.config.json");
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.servers[0]?.limits)).toBe(true);
    expect(Object.isFrozen(config.servers[0]?.plugins[0]?.options)).toBe(true);
  });
});
