// Path traversal corpus (DESIGN §8): raw requests over a socket to a server with the get plugin
// on a temporary root, next to a secret file OUTSIDE the root. Encodings of "..", double
// encoding, overlong UTF-8, backslashes, repeated slashes, NUL and control bytes, absolute-form
// targets, dotfiles, and symlinks created in the root that point outside it. No answer may
// hold the secret; each case's status (400 from the core, 404, or 301 for a folder) is asserted.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import get from "../../../plugins/get/index.ts";
import { rawExchange, startServer, type TestServer } from "../../helpers/server.ts";

const SECRET = "TOP-SECRET-b9f1c27e-never-served";

interface Case {
  readonly target: string;
  readonly status: 301 | 400 | 404;
  readonly why: string;
}

const hand: Case[] = [
  // Plain dot-segments: the core refuses a climb above "/" (400), or the result is not in the root (404).
  { target: "/../secret.txt", status: 400, why: "climbs above the root" },
  { target: "/../../secret.txt", status: 400, why: "climbs above the root" },
  { target: "/sub/../../secret.txt", status: 400, why: "climbs above the root from a folder" },
  { target: "/sub/../secret.txt", status: 404, why: "normalizes to /secret.txt, not in the root" },
  { target: "/./../secret.txt", status: 400, why: "dot then dot-dot" },
  { target: "/sub/./../../secret.txt", status: 400, why: "mixed dot segments" },
  { target: "/..", status: 400, why: "bare dot-dot" },
  { target: "/../", status: 400, why: "dot-dot folder" },
  { target: "/sub/file.txt/../../../secret.txt", status: 400, why: "through a file name" },
  { target: "/../../../../../../etc/passwd", status: 400, why: "deep climb to /etc/passwd" },
  // Percent-encoded dots: decoded once, then the same rules.
  { target: "/%2e%2e/secret.txt", status: 400, why: "encoded dot-dot" },
  { target: "/%2E%2E/secret.txt", status: 400, why: "upper-case encoded dot-dot" },
  { target: "/.%2e/secret.txt", status: 400, why: "half-encoded dot-dot" },
  { target: "/%2e./secret.txt", status: 400, why: "half-encoded dot-dot" },
  { target: "/sub/%2e%2e/%2e%2e/secret.txt", status: 400, why: "encoded climb from a folder" },
  { target: "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", status: 400, why: "encoded climb to /etc/passwd" },
  // Encoded slashes and backslashes: refused by the core.
  { target: "/%2e%2e%2fsecret.txt", status: 400, why: "encoded slash" },
  { target: "/..%2fsecret.txt", status: 400, why: "encoded slash after dot-dot" },
  { target: "/..%2Fsecret.txt", status: 400, why: "upper-case encoded slash" },
  { target: "/sub%2f..%2f..%2fsecret.txt", status: 400, why: "encoded slashes only" },
  { target: "/..%2f..%2f..%2fetc%2fpasswd", status: 400, why: "encoded slashes to /etc/passwd" },
  { target: "/..%5csecret.txt", status: 400, why: "encoded backslash" },
  { target: "/..%5Csecret.txt", status: 400, why: "upper-case encoded backslash" },
  { target: "/%5c..%5csecret.txt", status: 400, why: "encoded backslashes around dot-dot" },
  { target: "/..\\secret.txt", status: 400, why: "raw backslash" },
  { target: "/sub\\..\\..\\secret.txt", status: 400, why: "raw backslashes" },
  // Double encoding: decoded once only, so these stay literal names that do not exist.
  { target: "/%252e%252e/secret.txt", status: 404, why: "double-encoded dots stay %2e%2e" },
  { target: "/%252e%252e%252fsecret.txt", status: 404, why: "double-encoded dots and slash" },
  { target: "/..%252fsecret.txt", status: 404, why: "double-encoded slash" },
  { target: "/..%255csecret.txt", status: 404, why: "double-encoded backslash" },
  { target: "/%25%32%65%25%32%65/secret.txt", status: 404, why: "double-encoded, every byte" },
  { target: "/%252e%252e/%252e%252e/etc/passwd", status: 404, why: "double-encoded climb to /etc/passwd" },
  { target: "/%%32%65%%32%65/secret.txt", status: 400, why: "nested percent: malformed" },
  { target: "/%u002e%u002e/secret.txt", status: 400, why: "IIS %u encoding: malformed percent" },
  { target: "/%uff0e%uff0e/secret.txt", status: 400, why: "IIS %u full-width dots: malformed" },
  { target: "/%2", status: 400, why: "truncated percent" },
  { target: "/%zz", status: 400, why: "non-hex percent" },
  // Overlong and invalid UTF-8 (CVE-2000-0884 class).
  { target: "/%c0%ae%c0%ae/secret.txt", status: 400, why: "overlong 2-byte dots" },
  { target: "/%c0%2e%c0%2e/secret.txt", status: 400, why: "invalid 2-byte sequence" },
  { target: "/%e0%80%ae%e0%80%ae/secret.txt", status: 400, why: "overlong 3-byte dots" },
  { target: "/%f0%80%80%ae%f0%80%80%ae/secret.txt", status: 400, why: "overlong 4-byte dots" },
  { target: "/%c0%af../secret.txt", status: 400, why: "overlong slash" },
  { target: "/..%c0%afsecret.txt", status: 400, why: "overlong slash after dot-dot" },
  { target: "/..%c1%9csecret.txt", status: 400, why: "overlong backslash" },
  { target: "/..%c1%1csecret.txt", status: 400, why: "invalid overlong backslash" },
  { target: "/%c0%ae%c0%ae%c0%afsecret.txt", status: 400, why: "overlong dots and slash" },
  { target: "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", status: 400, why: "overlong climb to /etc/passwd" },
  { target: "/%ed%a0%80", status: 400, why: "UTF-16 surrogate in UTF-8" },
  { target: "/%ff", status: 400, why: "byte never valid in UTF-8" },
  // Look-alikes are valid UTF-8 and just names.
  { target: "/%ef%bc%8e%ef%bc%8e/secret.txt", status: 404, why: "full-width dots" },
  { target: "/%e2%80%a4%e2%80%a4/secret.txt", status: 404, why: "one-dot leaders" },
  { target: "/..%e2%88%95secret.txt", status: 404, why: "division slash" },
  { target: "/..%ef%bc%8fsecret.txt", status: 404, why: "full-width slash" },
  // Repeated slashes are merged, never a way up.
  { target: "//secret.txt", status: 404, why: "leading double slash" },
  { target: "///secret.txt", status: 404, why: "leading triple slash" },
  { target: "//../secret.txt", status: 400, why: "double slash then dot-dot" },
  { target: "/sub//../../secret.txt", status: 400, why: "double slash inside" },
  { target: "//sub//..//..//secret.txt", status: 400, why: "double slashes everywhere" },
  // NUL and control bytes.
  { target: "/secret.txt%00", status: 400, why: "NUL at the end" },
  { target: "/index.html%00.txt", status: 400, why: "NUL extension trick" },
  { target: "/..%00/secret.txt", status: 400, why: "NUL after dot-dot" },
  { target: "/%00../secret.txt", status: 400, why: "NUL before dot-dot" },
  { target: "/sub/file.txt%0d%0aX-Injected:%20y", status: 400, why: "CR LF" },
  { target: "/%0a", status: 400, why: "LF" },
  { target: "/%09", status: 400, why: "TAB" },
  { target: "/%7f", status: 400, why: "DEL" },
  { target: "/%1b[31m", status: 400, why: "ESC" },
  // Absolute-form targets (RFC 9112 §3.2.2): the path goes through the same rules.
  { target: "http://localhost/../secret.txt", status: 400, why: "absolute-form climb" },
  { target: "http://localhost/%2e%2e/secret.txt", status: 400, why: "absolute-form encoded climb" },
  { target: "http://localhost/..%2fsecret.txt", status: 400, why: "absolute-form encoded slash" },
  { target: "http://localhost//secret.txt", status: 404, why: "absolute-form double slash" },
  { target: "http://localhost/link-out", status: 404, why: "absolute-form symlink escape" },
  { target: "http://localhost/dir-out/secret.txt", status: 404, why: "absolute-form folder symlink escape" },
  { target: "http://evil.example/../../secret.txt", status: 400, why: "absolute-form, other host, climb" },
  { target: "http://localhost/%c0%ae%c0%ae/secret.txt", status: 400, why: "absolute-form overlong" },
  { target: "file:///etc/passwd", status: 400, why: "file: URI as target" },
  { target: "http://localhost/.git/config", status: 404, why: "absolute-form dotfile" },
  // Symlinks created in the root that point outside it.
  { target: "/link-out", status: 404, why: "relative symlink to the secret" },
  { target: "/link-out/", status: 404, why: "symlink to a file, as a folder" },
  { target: "/abs-out", status: 404, why: "absolute symlink to the secret" },
  { target: "/dir-out", status: 404, why: "symlink to the parent folder (no 301)" },
  { target: "/dir-out/", status: 404, why: "symlink to the parent folder, slash form" },
  { target: "/dir-out/secret.txt", status: 404, why: "through a folder symlink" },
  { target: "/dir-out/root-evil/secret.txt", status: 404, why: "through a folder symlink, sibling folder" },
  { target: "/abs-dir-out/secret.txt", status: 404, why: "absolute folder symlink" },
  { target: "/prefix-out", status: 404, why: "to a sibling folder whose name starts with the root's" },
  { target: "/sub/deep-out", status: 404, why: "symlink two levels up" },
  { target: "/sub/dir-up/secret.txt", status: 404, why: "folder symlink two levels up" },
  { target: "/sub/dir-up/", status: 404, why: "folder symlink two levels up, slash form" },
  { target: "/etc-link/passwd", status: 404, why: "absolute symlink to /etc" },
  { target: "/loop", status: 404, why: "symlink loop" },
  { target: "/%6cink-out", status: 404, why: "encoded letter in a symlink's name" },
  { target: "/link-out%2f", status: 400, why: "symlink with an encoded slash" },
  { target: "/link-out.", status: 404, why: "trailing dot (Windows alias)" },
  { target: "/link-out%20", status: 404, why: "trailing space (Windows alias)" },
  { target: "/LINK-OUT", status: 404, why: "other case (case-insensitive file systems)" },
  // Dotfiles.
  { target: "/.git/config", status: 404, why: "dot folder" },
  { target: "/.git", status: 404, why: "dot folder, no 301" },
  { target: "/.git/", status: 404, why: "dot folder, slash form" },
  { target: "/.htpasswd", status: 404, why: "dotfile" },
  { target: "/%2egit/config", status: 404, why: "encoded dot of a dot folder" },
  { target: "/.%67it/config", status: 404, why: "encoded letter of a dot folder" },
  { target: "/sub/../.htpasswd", status: 404, why: "dotfile after normalization" },
  { target: "/sub/.hidden-link", status: 404, why: "dot symlink" },
  // Windows and proxy quirks: just names here.
  { target: "/secret.txt::$DATA", status: 404, why: "NTFS stream" },
  { target: "/C:/secret.txt", status: 404, why: "drive letter" },
  { target: "/..;/secret.txt", status: 404, why: "Tomcat path parameter" },
  { target: "/sub/..;/..;/secret.txt", status: 404, why: "Tomcat path parameters" },
  { target: "/...../secret.txt", status: 404, why: "five dots" },
  { target: "/..../secret.txt", status: 404, why: "four dots" },
  { target: "/~/secret.txt", status: 404, why: "tilde" },
  { target: "/%7e/secret.txt", status: 404, why: "encoded tilde" },
  { target: "/secret.txt", status: 404, why: "the secret's own name, not in the root" },
  { target: "/root/../secret.txt", status: 404, why: "the root's own name" },
  { target: "/etc/passwd", status: 404, why: "absolute system path as a name" },
  { target: "/sub/dir/..", status: 404, why: "back to a folder with no index" },
  // Folders: 301 to the slash form, built from the normalized path.
  { target: "/sub", status: 301, why: "folder without slash" },
  { target: "/sub/dir", status: 301, why: "nested folder without slash" },
  { target: "//sub", status: 301, why: "double slash folder (Location must not be //sub/)" },
  { target: "/./sub", status: 301, why: "dot segment folder" },
  { target: "/%73ub", status: 301, why: "encoded folder name" },
];

// Encodings of ".." by what the core makes of them, times separators, times depth.
const DOTS: Array<[string, "dots" | "literal" | "bad"]> = [
  ["..", "dots"],
  ["%2e%2e", "dots"],
  ["%2E%2E", "dots"],
  [".%2e", "dots"],
  ["%2e.", "dots"],
  ["%252e%252e", "literal"],
  ["%c0%ae%c0%ae", "bad"],
  ["%e0%80%ae%e0%80%ae", "bad"],
  ["..%00", "bad"],
  ["%2e%2e%00", "bad"],
];
const SEPARATORS: Array<[string, "slash" | "literal" | "bad"]> = [
  ["/", "slash"],
  ["//", "slash"],
  ["%2f", "bad"],
  ["%5c", "bad"],
  ["\\", "bad"],
  ["%252f", "literal"],
];
const generated: Case[] = [];
for (const [dot, dotKind] of DOTS) {
  for (const [sep, sepKind] of SEPARATORS) {
    for (const depth of [1, 4]) {
      const status = dotKind === "bad" || sepKind === "bad" ? 400 : dotKind === "dots" && sepKind === "slash" ? 400 : 404;
      generated.push({ target: `/${(dot + sep).repeat(depth)}secret.txt`, status, why: `${dotKind} dots, ${sepKind} separator, depth ${depth}` });
    }
  }
}

// Some generated targets are also hand-written cases: keep one of each, and check they agree.
const handStatus = new Map(hand.map((c) => [c.target, c.status]));
const overlap = generated.filter((c) => handStatus.has(c.target));
const CASES = [...hand, ...generated.filter((c) => !handStatus.has(c.target))];

describe("path traversal corpus (get on a temporary root)", () => {
  let base: string;
  let server: TestServer;

  beforeAll(async () => {
    base = mkdtempSync(path.join(tmpdir(), "plugd-traversal-"));
    const root = path.join(base, "root");
    const at = (p: string) => path.join(root, p);
    writeFileSync(path.join(base, "secret.txt"), SECRET);
    mkdirSync(path.join(base, "root-evil"));
    writeFileSync(path.join(base, "root-evil", "secret.txt"), SECRET);
    mkdirSync(root);
    mkdirSync(at("sub/dir"), { recursive: true });
    mkdirSync(at(".git"));
    writeFileSync(at("index.html"), "home\n");
    writeFileSync(at("sub/file.txt"), "file\n");
    writeFileSync(at(".git/config"), SECRET);
    writeFileSync(at(".htpasswd"), SECRET);
    symlinkSync("../secret.txt", at("link-out"));
    symlinkSync("..", at("dir-out"));
    symlinkSync(path.join(base, "secret.txt"), at("abs-out"));
    symlinkSync(base, at("abs-dir-out"));
    symlinkSync("../root-evil/secret.txt", at("prefix-out"));
    symlinkSync("../../secret.txt", at("sub/deep-out"));
    symlinkSync("../..", at("sub/dir-up"));
    symlinkSync("/etc", at("etc-link"));
    symlinkSync("loop", at("loop"));
    symlinkSync("../../secret.txt", at("sub/.hidden-link"));
    server = await startServer({ root, plugins: [[get, {}]] });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  it("has at least 100 cases, none repeated", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CASES.map((c) => c.target)).size).toBe(CASES.length);
    for (const c of overlap) expect(handStatus.get(c.target), c.target).toBe(c.status);
  });

  it.each(CASES.map((c) => [c.target, c.status, c.why] as const))("%s -> %i (%s)", async (target, status) => {
    const answer = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    const text = answer.toString("latin1");
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/root:x?:0:0:/);
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
    expect(m?.[1], text.slice(0, 200)).toBe(String(status));
    if (status === 301) {
      const location = /\r\nlocation: ([^\r]*)\r\n/i.exec(text)?.[1] ?? "";
      expect(location.startsWith("/")).toBe(true);
      expect(location.startsWith("//")).toBe(false);
      expect(location.endsWith("/")).toBe(true);
    }
  });

  it("HEAD gets the same statuses and no secret", async () => {
    for (const c of CASES) {
      const answer = (await rawExchange(server.port, `HEAD ${c.target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)).toString("latin1");
      expect(answer).not.toContain(SECRET);
      expect(answer.slice(9, 12), c.target).toBe(String(c.status));
    }
  });
});
