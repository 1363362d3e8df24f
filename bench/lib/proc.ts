// CPU accounting from /proc, shared by the groups that count a server's own CPU time.
import { readFileSync } from "node:fs";

/** User + system clock ticks a process has used, or undefined once it has exited. */
export function processTicks(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The process's direct children. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Children, grandchildren, ... of a process. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const child of childrenOf(pid)) out.push(child, ...descendants(child));
  return out;
}

/** Ticks of several processes together (those that exited count nothing). */
export function ticksOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += processTicks(pid) ?? 0;
  return ticks;
}
