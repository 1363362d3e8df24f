// Which rules protect a request. Patterns are matched on `request.path`: the core has already
// decoded it once and normalized it (core/http/path.ts), so "//private/x", "/./private/x" and
// "/a/../private/x" all arrive as "/private/x", and "%2F" never arrives (400). Here we close
// the gaps that remain between a path and the file it reaches:
// - case: matched case-insensitively, so "/PRIVATE/x" is protected also when the root lives on
//   a case-insensitive file system (macOS, Windows shares, ciopfs);
// - Unicode: compared in NFC, so a decomposed "é" cannot dodge a pattern on a file system that
//   normalizes names (HFS+);
// - dotfiles: picomatch skips them by default, which would leave "/private/.git/config" open;
// - "/private/**" also matches "/private" and "/private/" (the folder itself, its listing);
// - HEAD is GET without a body (RFC 9110 §9.3.2), so a rule for GET covers HEAD.
import picomatch from "picomatch";
import type { AuthOptions } from "./options.ts";

export interface Rule {
  readonly pattern: string;
  readonly test: (path: string) => boolean;
  /** Upper-cased; undefined: every method. */
  readonly methods: ReadonlySet<string> | undefined;
  /** undefined: any user in the users file. */
  readonly users: ReadonlySet<string> | undefined;
  readonly realm: string | undefined;
}

/** What the matching rules demand of a request. */
export interface Demand {
  readonly realm: string;
  /** Each set is one matching rule's allowed users: the user must be in all of them. */
  readonly allowed: readonly ReadonlySet<string>[];
}

const GLOB_OPTIONS = { dot: true, nocase: true } as const;

export function compileRules(protect: AuthOptions["protect"]): Rule[] {
  return protect.map((entry) => {
    const rule = typeof entry === "string" ? { path: entry } : entry;
    const pattern = rule.path.normalize("NFC");
    const methods = rule.methods === undefined ? undefined : new Set(rule.methods.map((m) => m.toUpperCase()));
    if (methods?.has("GET")) methods.add("HEAD");
    return {
      pattern: rule.path,
      // "/**" (the default) is every path the core lets through: skip the regular expression.
      test: pattern === "/**" ? everyPath : picomatch(pattern, GLOB_OPTIONS),
      methods,
      users: rule.users === undefined ? undefined : new Set(rule.users),
      realm: rule.realm,
    };
  });
}

/** The demand of every rule that matches, or undefined when the request is not protected. */
export function matchRules(rules: readonly Rule[], path: string, method: string, defaultRealm: string): Demand | undefined {
  if (rules.length === 0 || path === "" || path === "*") return undefined;
  const subject = nfc(path);
  // "/dir/" names the same folder as "/dir": a pattern written without the slash covers both.
  const bare = subject.length > 1 && subject.endsWith("/") ? subject.slice(0, -1) : undefined;
  let realm: string | undefined;
  let allowed: ReadonlySet<string>[] | undefined;
  let upper: string | undefined;
  for (const rule of rules) {
    if (rule.methods !== undefined) {
      // Methods are case-sensitive (RFC 9110 §9.1), but a handler might not be: "get" is protected like GET.
      upper ??= method.toUpperCase();
      if (!rule.methods.has(upper)) continue;
    }
    if (!rule.test(subject) && (bare === undefined || !rule.test(bare))) continue;
    allowed ??= [];
    if (rule.users !== undefined) allowed.push(rule.users);
    // The last matching rule that names a realm wins: later rules are the more specific ones.
    if (rule.realm !== undefined) realm = rule.realm;
  }
  return allowed === undefined ? undefined : { realm: realm ?? defaultRealm, allowed };
}

function everyPath(): boolean {
  return true;
}

function nfc(path: string): string {
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) >= 0x80) return path.normalize("NFC");
  return path;
}
