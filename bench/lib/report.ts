// The machine description and the final table.
import { readFileSync } from "node:fs";
import type { Row } from "../groups/types.ts";
import { canPin, cpuCount } from "./process.ts";
import { fmt } from "./stats.ts";

export function machineLines(loader: string, plugd: string): string[] {
  let cpu = "unknown CPU";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return [
    `date:    ${new Date().toISOString()}`,
    `machine: ${cpuCount()} CPUs (nproc), ${cpu}; node ${process.version}`,
    `pinning: ${canPin() ? "servers on CPU 0, load generator on CPU 1 (taskset)" : "NONE: taskset missing or < 2 CPUs, figures will be noisier"}`,
    `loader:  ${loader}`,
    `plugd:   ${plugd}`,
  ];
}

export function verdict(row: Row): string {
  if (row.target === undefined || row.ratio === undefined || !Number.isFinite(row.ratio)) return "";
  const ok = row.target.op === ">=" ? row.ratio >= row.target.value : row.ratio <= row.target.value;
  return `${ok ? "met" : "NOT MET"}${row.noisy === true ? " (noisy)" : ""}`;
}

/** The final table, as aligned text (also valid Markdown). */
export function table(rows: readonly Row[]): string {
  const head = ["group", "metric", "plugd", "peer", "peer value", "plugd/peer", "per-pair range", "target", "result"];
  const body = rows.map((r) => [
    r.group,
    r.metric,
    r.plugd,
    r.peer,
    r.peerValue,
    r.ratio !== undefined ? fmt(r.ratio) : "",
    r.spread !== undefined ? `${fmt(r.spread[0])}-${fmt(r.spread[1])}` : "",
    r.target !== undefined ? `${r.target.op} ${r.target.value}` : "",
    verdict(r),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
