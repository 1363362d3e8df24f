// What the gateway makes of a CGI program's raw output, with a stand-in for php-cgi (a shell
// script, `binary` option) that answers each query with bytes PHP itself would never send:
// malformed heads (502), hop-by-hop fields and CR injection (dropped), no arguments ever.
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../../helpers/server.ts";
import { curl, errorLogText, makeSite, phpServer, waitFor, type Site } from "./helpers.ts";

const FAKE = `#!/bin/sh
case "$QUERY_STRING" in
  garbage) printf 'not a header\\n\\nbody' ;;
  noblank) printf 'Content-Type: text/plain\\n' ;;
  silent) ;;
  hop) printf 'Content-Type: text/plain\\r\\nConnection: close, X-Hop\\r\\nX-Hop: 1\\r\\nTransfer-Encoding: chunked\\r\\nKeep-Alive: 5\\r\\nX-Kept: yes\\r\\n\\r\\nbody' ;;
  inject) printf 'Content-Type: text/plain\\r\\nX-Inject: a\\rSet-Cookie: evil=1\\r\\n\\r\\nbody' ;;
  lf) printf 'Status: 201 Created\\nContent-Type: text/plain\\n\\nmade' ;;
  badstatus) printf 'Status: 99 Nope\\r\\n\\r\\n' ;;
  huge) printf 'X-Big: '; head -c 70000 /dev/zero | tr '\\0' a; printf '\\r\\n\\r\\n' ;;
  args*) printf 'Content-Type: text/plain\\r\\n\\r\\n%s|%s' "$#" "$*" ;;
  stdin) printf 'Content-Type: text/plain\\r\\n\\r\\n'; head -c "$CONTENT_LENGTH" ;;
  local-body) printf 'Location: /static.txt\\r\\n\\r\\nthe body' ;;
  length) printf 'Content-Type: text/plain\\r\\nContent-Length: 5\\r\\n\\r\\nfive!' ;;
esac
`;

describe("php-cgi with a stand-in CGI program", () => {
  let site: Site;
  let server: TestServer;

  beforeAll(async () => {
    site = makeSite();
    const binary = path.join(site.scratch, "fake-php-cgi");
    writeFileSync(binary, FAKE);
    chmodSync(binary, 0o755);
    server = await phpServer(site, { mode: "cgi", binary, timeoutMs: 5000 });
  });

  afterAll(async () => {
    await server?.stop();
    site?.cleanup();
  });

  const get = (query: string, extra: string[] = []) => curl([...extra, `${server.url}/hello.php?${query}`]);

  it.each([
    ["a line that is no field", "garbage"],
    ["no blank line before the end", "noblank"],
    ["no output at all", "silent"],
    ["a bad Status", "badstatus"],
    ["a header section over 64 KiB", "huge"],
  ])("%s: 502", async (_what, query) => {
    const a = await get(query);
    expect(a.status).toBe(502);
    expect(a.body.toString()).toBe("502 Bad Gateway\n");
  });

  it("the reason of a 502 is in the error log", async () => {
    await get("garbage");
    await waitFor(() => /PLUGD_ERR_PHP_BAD_GATEWAY.*header line without a name/.test(errorLogText(site)) || /header line without a name.*PLUGD_ERR_PHP_BAD_GATEWAY/.test(errorLogText(site)), 5000, "the 502's reason in the error log");
  });

  it("hop-by-hop fields and those Connection names are dropped; the core frames the body", async () => {
    const a = await get("hop");
    expect(a.status).toBe(200);
    expect(a.headers["x-kept"]).toBe("yes");
    expect(a.headers["x-hop"]).toBeUndefined();
    expect(a.headers["keep-alive"]).toBeUndefined();
    expect(a.headers.connection).toBeUndefined();
    expect(a.body.toString()).toBe("body");
  });

  it("a field holding a bare CR is dropped: it cannot smuggle a second field", async () => {
    const a = await get("inject");
    expect(a.status).toBe(200);
    expect(a.headers["x-inject"]).toBeUndefined();
    expect(a.headers["set-cookie"]).toBeUndefined();
    expect(a.head).not.toContain("evil");
  });

  it("LF line ends and a Status with a reason phrase", async () => {
    const a = await get("lf");
    expect(a.status).toBe(201);
    expect(a.body.toString()).toBe("made");
  });

  it("the program gets no arguments, whatever the query (CVE-2012-1823)", async () => {
    for (const query of ["args", "args+-s", "args&-d+foo", "args%20-s"]) {
      const a = await get(query);
      expect(a.body.toString(), query).toBe("0|");
    }
  });

  it("a Location with a body goes to the client as a 302 with that body", async () => {
    const a = await get("local-body");
    expect(a.status).toBe(302);
    expect(a.headers.location).toBe("/static.txt");
    expect(a.body.toString()).toBe("the body");
  });

  it("the script's Content-Length frames the body", async () => {
    const a = await get("length");
    expect(a.headers["content-length"]).toBe("5");
    expect(a.body.toString()).toBe("five!");
  });

  it("the body reaches the program's stdin", async () => {
    const a = await curl(["--data-binary", "hello input", `${server.url}/hello.php?stdin`]);
    expect(a.body.toString()).toBe("hello input");
  });
});
