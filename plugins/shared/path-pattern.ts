// Path patterns for plugins that scope themselves to parts of the site (auth's `protect`,
// put's and delete's `paths`): one way of matching, so a path one plugin treats as inside a
// pattern is inside it for every plugin. Patterns are picomatch globs matched on
// `request.path`, which the core decoded once and normalized (core/http/path.ts). Here:
// - case-insensitive, so "/PRIVATE/x" matches "/private/**" also when the root lives on a
//   case-insensitive file system (macOS, Windows shares);
// - Unicode NFC on both sides, so a decomposed "é" cannot dodge a pattern on a file system
//   that normalizes names (HFS+);
// - dotfiles included (picomatch skips them by default: "/private/.git/config" would escape);
// - "/dir/" names the same folder as "/dir": a pattern written without the slash covers both.
import picomatch from "picomatch";

export type PathTest = (path: string) => boolean;

const GLOB_OPTIONS = { dot: true, nocase: true } as const;

/** A test for one pattern. "/**" matches every path the core lets through. */
export function compilePathPattern(pattern: string): PathTest {
  if (pattern === "/**") return everyPath;
  const test = picomatch(pattern.normalize("NFC"), GLOB_OPTIONS);
  return (path) => {
    const subject = nfc(path);
    if (test(subject)) return true;
    return subject.length > 1 && subject.endsWith("/") && test(subject.slice(0, -1));
  };
}

/** A test that passes when any of `patterns` matches. */
export function compilePathPatterns(patterns: readonly string[]): PathTest {
  const tests = patterns.map(compilePathPattern);
  if (tests.length === 1) return tests[0] as PathTest;
  return (path) => tests.some((test) => test(path));
}

function everyPath(): boolean {
  return true;
}

function nfc(path: string): string {
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) >= 0x80) return path.normalize("NFC");
  return path;
}
