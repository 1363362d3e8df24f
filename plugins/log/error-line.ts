// One error log line: logfmt (`time=... level=error server=site msg="..." key=value ...`,
// greppable and machine-readable) or, with `format: "json"`, a JSON object with the same keys.
// Values are escaped like access log fields; credentials are never written.
import { asciiJson, escapeQuoted, isSecretField } from "./escape.ts";

/** Severity, most severe first (the names syslog and nginx use). */
export const LOG_LEVELS = ["error", "warn", "notice", "info"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra facts of an error log line. `undefined` values are left out. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

const RESERVED = new Set(["time", "level", "server", "msg"]);
const REDACTED = "[redacted]";
// A value that needs no quotes: printable ASCII without space, `"`, `=` and `\`.
const BARE_VALUE = /^[\x21\x23-\x3c\x3e-\x5b\x5d-\x7e]+$/;

function logfmtKey(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_.-]/g, "_") || "_";
  // A caller's field never stands in for one of the line's own.
  return RESERVED.has(clean) ? "_" + clean : clean;
}

function logfmtValue(value: string): string {
  return BARE_VALUE.test(value) ? value : `"${escapeQuoted(value)}"`;
}

function fieldValue(key: string, value: string | number | boolean | null): string | number | boolean | null {
  return isSecretField(key) ? REDACTED : value;
}

function isLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}

export function errorLine(json: boolean, time: number, level: LogLevel, server: string, message: string, fields: LogFields | undefined): string {
  // A caller from plain JavaScript may pass anything: an unknown level is written as "error".
  const lvl = isLevel(level) ? level : "error";
  const iso = new Date(time).toISOString();
  if (json) {
    const record: Record<string, unknown> = { time: iso, level: lvl, server, msg: String(message) };
    if (fields !== undefined) {
      for (const [key, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        record[RESERVED.has(key) ? "_" + key : key] = fieldValue(key, value);
      }
    }
    return asciiJson(JSON.stringify(record)) + "\n";
  }
  let line = `time=${iso} level=${lvl} server=${logfmtValue(server)} msg=${logfmtValue(String(message))}`;
  if (fields !== undefined) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      line += ` ${logfmtKey(key)}=${logfmtValue(String(fieldValue(key, value)))}`;
    }
  }
  return line + "\n";
}
