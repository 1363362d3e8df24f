// Messages about the logs themselves (a file that cannot be opened, a full disk, lines dropped)
// go to stderr, since the log may be what is broken, and at most once a minute per kind and
// file, so a failing disk cannot flood the terminal or the journal. Serving never stops.
import { escapeQuoted } from "./escape.ts";

export const WARN_INTERVAL_MS = 60_000;

interface Limit {
  next: number;
  suppressed: number;
}

const limits = new Map<string, Limit>();

/** Writes `message` to stderr unless a message with the same key went out less than a minute ago. */
export function warnLimited(key: string, message: string, now = Date.now()): boolean {
  const limit = limits.get(key);
  if (limit !== undefined && now < limit.next) {
    limit.suppressed++;
    return false;
  }
  const suppressed = limit?.suppressed ?? 0;
  limits.set(key, { next: now + WARN_INTERVAL_MS, suppressed: 0 });
  const more = suppressed > 0 ? ` (${suppressed} similar message${suppressed === 1 ? "" : "s"} suppressed)` : "";
  process.stderr.write(`plugd log: ${escapeQuoted(message)}${more}\n`);
  return true;
}
