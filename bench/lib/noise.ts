// Is anything else using the CPUs while we measure? On a shared 2-core machine another
// process's load changes a ratio far more than any code change. A run counts as noisy when
// processes other than the bench and its children used more than NOISY_SHARE of a CPU, or the
// hypervisor stole that much (the `steal` column of /proc/stat).
import { readFileSync } from "node:fs";
import { trackedPids } from "./process.ts";

/** USER_HZ: /proc times are in 1/100 s on Linux. */
const HZ = 100;
export const NOISY_SHARE = 0.05;

export interface CpuSnapshot {
  readonly at: number;
  /** user+nice+system+irq+softirq over all CPUs, in ticks. */
  readonly busy: number;
  readonly steal: number;
  /** Ticks used by the bench, its reaped children (load generators) and its live children. */
  readonly ours: Map<number | "self", number>;
}

export interface Noise {
  /** CPU used by other processes, in CPUs (0.5 = half a core) over the interval. */
  readonly foreign: number;
  /** CPU stolen by the hypervisor, in CPUs. */
  readonly steal: number;
}

function procTicks(pid: number | "self", withChildren: boolean): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the comm: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17); f[0] is field 3.
    const n = (i: number): number => Number(f[i - 3]);
    return n(14) + n(15) + (withChildren ? n(16) + n(17) : 0);
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] as string;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number) as number[];
    const ours = new Map<number | "self", number>();
    ours.set("self", procTicks("self", true) ?? 0);
    for (const pid of trackedPids()) {
      const t = procTicks(pid, false);
      if (t !== undefined) ours.set(pid, t);
    }
    return {
      at: Date.now(),
      busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0),
      steal: steal ?? 0,
      ours,
    };
  } catch {
    return undefined; // not Linux: no noise figures
  }
}

/** CPU used by others between two snapshots. Children that exited in between count as ours (cutime). */
export function noiseBetween(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): Noise | undefined {
  if (a === undefined || b === undefined) return undefined;
  const seconds = (b.at - a.at) / 1000;
  if (seconds <= 0) return undefined;
  let ours = 0;
  for (const [pid, after] of b.ours) {
    const before = a.ours.get(pid);
    ours += after - (before ?? 0);
  }
  // A live child seen only in `a` has exited and was reaped: its time is in self's cutime now.
  const foreignTicks = Math.max(0, b.busy - a.busy - ours);
  return { foreign: foreignTicks / HZ / seconds, steal: (b.steal - a.steal) / HZ / seconds };
}

export function isNoisy(n: Noise | undefined): boolean {
  return n !== undefined && (n.foreign > NOISY_SHARE || n.steal > NOISY_SHARE);
}

export function describeNoise(n: Noise | undefined): string {
  if (n === undefined) return "";
  return `others ${(n.foreign * 100).toFixed(0)}% CPU, steal ${(n.steal * 100).toFixed(0)}%`;
}

/** Waits (at most `maxMs`) for a second in which nothing else used the CPUs. */
export async function waitForQuiet(maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const a = cpuSnapshot();
    if (a === undefined) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!isNoisy(noiseBetween(a, cpuSnapshot()))) return true;
  }
  return false;
}
