// Which rules protect a request. Patterns are matched on `request.path` with the shared path
// matcher (plugins/shared/path-pattern.ts: case-insensitive, NFC, dotfiles included, "/dir/"
// as "/dir"); the core has already decoded the path once and normalized it, so
// "//private/x", "/./private/x" and "/a/../private/x" all arrive as "/private/x", and "%2F"
// never arrives (400). HEAD is GET without a body (RFC 9110 §9.3.2), so a rule for GET covers HEAD.
import { compilePathPattern } from "../shared/path-pattern.ts";
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

export function compileRules(protect: AuthOptions["protect"]): Rule[] {
  return protect.map((entry) => {
    const rule = typeof entry === "string" ? { path: entry } : entry;
    const methods = rule.methods === undefined ? undefined : new Set(rule.methods.map((m) => m.toUpperCase()));
    if (methods?.has("GET")) methods.add("HEAD");
    return {
      pattern: rule.path,
      test: compilePathPattern(rule.path),
      methods,
      users: rule.users === undefined ? undefined : new Set(rule.users),
      realm: rule.realm,
    };
  });
}

/** The demand of every rule that matches, or undefined when the request is not protected. */
export function matchRules(rules: readonly Rule[], path: string, method: string, defaultRealm: string): Demand | undefined {
  if (rules.length === 0 || path === "" || path === "*") return undefined;
  let realm: string | undefined;
  let allowed: ReadonlySet<string>[] | undefined;
  let upper: string | undefined;
  for (const rule of rules) {
    if (rule.methods !== undefined) {
      // Methods are case-sensitive (RFC 9110 §9.1), but a handler might not be: "get" is protected like GET.
      upper ??= method.toUpperCase();
      if (!rule.methods.has(upper)) continue;
    }
    if (!rule.test(path)) continue;
    allowed ??= [];
    if (rule.users !== undefined) allowed.push(rule.users);
    // The last matching rule that names a realm wins: later rules are the more specific ones.
    if (rule.realm !== undefined) realm = rule.realm;
  }
  return allowed === undefined ? undefined : { realm: realm ?? defaultRealm, allowed };
}
