// One problem found in a configuration, and the one way all of them are written out:
//   <file>:<line>:<column>: <JSON path>: <what is wrong; what was expected>
import { ConfigSource, jsonPointer, type JsonPath, type PositionTarget } from "./source.ts";

export interface ConfigIssue {
  readonly path: JsonPath;
  /** What is wrong and what was expected, without the file, position or path. */
  readonly message: string;
  /** Point at the key (unknown keys, plugin ids) rather than the value. Default "value". */
  readonly target?: PositionTarget;
  /** An exact offset in the text, for things a path cannot tell apart (repeated keys). */
  readonly offset?: number;
}

/** An issue with its place in the text resolved; what `PlugdError.details.issues` holds. */
export interface LocatedIssue {
  readonly pointer: string;
  readonly message: string;
  /** Absent when the configuration was not parsed from text (built in code). */
  readonly line?: number;
  readonly column?: number;
  /** The full line as it appears in the error message. */
  readonly text: string;
}

/**
 * Locates and formats issues, sorted by position in the file (then path), duplicates dropped.
 * Given a file name instead of a source, lines carry no line:column.
 */
export function locateIssues(where: ConfigSource | string, issues: readonly ConfigIssue[]): LocatedIssue[] {
  const located = issues.map((issue, order) => {
    const pointer = jsonPointer(issue.path);
    if (typeof where === "string") {
      return { order, offset: 0, issue: { pointer, message: issue.message, text: `${where}: ${pointer}: ${issue.message}` } };
    }
    const at = issue.offset === undefined ? where.locate(issue.path, issue.target) : where.position(issue.offset);
    const text = `${where.file}:${at.line}:${at.column}: ${pointer}: ${issue.message}`;
    return { order, offset: at.offset, issue: { pointer, message: issue.message, line: at.line, column: at.column, text } };
  });
  located.sort((a, b) => a.offset - b.offset || compareText(a.issue.pointer, b.issue.pointer) || a.order - b.order);
  const seen = new Set<string>();
  return located.map((l) => l.issue).filter((i) => !seen.has(i.text) && seen.add(i.text));
}

/** The lines of `locateIssues`, ready to be joined into an error message. */
export function formatIssues(where: ConfigSource | string, issues: readonly ConfigIssue[]): string[] {
  return locateIssues(where, issues).map((i) => i.text);
}

/** "line:column" of a path, for messages that point at a second place ("already used at 4:18"). */
export function lineColumn(source: ConfigSource, path: JsonPath, target?: PositionTarget): string {
  const at = source.locate(path, target);
  return `${at.line}:${at.column}`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo: optimal string
 * alignment distance (a swap of two neighbours counts once), ignoring case, at most a third
 * of the longer word (and at least 1).
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const w = word.toLowerCase();
  for (const candidate of candidates) {
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    const d = editDistance(w, candidate.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

/** `; did you mean "x"?` when one is close, else `; expected one of: a, b, c` (or nothing). */
export function suggestion(word: string, known: readonly string[], listLabel = "known keys"): string {
  const close = didYouMean(word, known);
  if (close !== undefined) return `; did you mean ${JSON.stringify(close)}?`;
  if (known.length === 0) return "";
  const shown = known.length > 15 ? [...known.slice(0, 15), "..."] : known;
  return `; ${listLabel}: ${shown.join(", ")}`;
}
