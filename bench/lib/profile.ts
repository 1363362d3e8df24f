// --profile: run a fresh plugd under a group's load with `node --cpu-prof`, then summarize the
// profile: where the time went by kind of code, and the hot spots in plugd's own files.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context } from "../groups/types.ts";
import type { LoadGenerator, LoadSettings } from "./load.ts";
import { ROOT, startServer } from "./servers.ts";
import { fmt, fmtInt } from "./stats.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function profileUnderLoad(ctx: Context, loader: LoadGenerator, group: string, settings: LoadSettings): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "plugd-prof-"));
  ctx.log(`${group}: profiling plugd (node --cpu-prof) under the same load for ${ctx.opts.warmup + settings.seconds} s`);
  const server = await startServer(ctx.plugd, { cpuProfDir: dir });
  let rps = 0;
  try {
    if (ctx.opts.warmup > 0) await loader.run(server.url, { ...settings, seconds: ctx.opts.warmup });
    rps = (await loader.run(server.url, settings)).rps;
  } finally {
    await server.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no .cpuprofile written in ${dir} (did plugd exit cleanly on SIGTERM?)`);
  const path = join(dir, file);
  ctx.log(`  ${fmtInt(rps)} req/s while profiled; profile: ${path}`);
  // Only the measured run: the profile's last `seconds` (plugd exits right after it), not
  // start-up (module loading) nor the warm-up.
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  for (const line of summarizeProfile(profile, settings.seconds)) ctx.log(`  ${line}`);
}

type Kind = "plugd" | "node_modules" | "node" | "vm" | "idle";

function shortUrl(url: string): string {
  return url.replace(`file://${ROOT}/`, "").replace(/^file:\/\//, "");
}

function kindOf(frame: CallFrame): Kind {
  const { url, functionName } = frame;
  if (functionName === "(idle)") return "idle";
  if (url === "") return "vm"; // (program), (garbage collector), native and eval'd code (tapable's compiled calls)
  if (url.startsWith("node:")) return "node";
  if (url.includes("/node_modules/")) return "node_modules";
  if (url.startsWith(`file://${ROOT}/`)) return "plugd";
  return "node";
}

function label(frame: CallFrame): string {
  const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
  return frame.url === "" ? name : `${shortUrl(frame.url)}:${name}${frame.functionName === "" ? `@${frame.lineNumber + 1}` : ""}`;
}

/** Lines of text: time by kind of code, top self-time functions, plugd's own hot spots. */
export function summarizeProfile(profile: CpuProfile, lastSeconds = Number.POSITIVE_INFINITY, top = 12): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const kinds = new Map<Kind, number>();
  const kindOfLabel = new Map<string, Kind>();
  let busy = 0;
  const at: number[] = [];
  let clock = 0;
  for (const d of profile.timeDeltas) at.push((clock += d));
  const from = clock - lastSeconds * 1e6;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (node === undefined || (at[i] ?? 0) < from) return;
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const kind = kindOf(node.callFrame);
    kinds.set(kind, (kinds.get(kind) ?? 0) + dt);
    if (kind === "idle") return;
    busy += dt;
    const key = label(node.callFrame);
    kindOfLabel.set(key, kind);
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (frame === undefined || kindOf(frame) !== "plugd") continue;
      const k = label(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const pct = (v: number): string => `${fmt((100 * v) / busy, 1).padStart(5)}%`;
  const total = [...kinds.values()].reduce((a, b) => a + b, 0);
  const out: string[] = [];
  out.push(`busy ${fmt((100 * busy) / total, 1)}% of the profile; of busy time (self): ` +
    (["plugd", "node", "node_modules", "vm"] as const).map((k) => `${k === "vm" ? "GC/native/eval'd (incl. tapable's compiled calls)" : k} ${pct(kinds.get(k) ?? 0).trim()}`).join(", "));
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  out.push(`top ${top} functions by self time (all code):`);
  for (const [k, v] of sorted(self).slice(0, top)) out.push(`  ${pct(v)}  ${k}`);
  out.push(`top ${top} plugd functions by self time:`);
  for (const [k, v] of sorted(self).filter(([k]) => kindOfLabel.get(k) === "plugd").slice(0, top)) out.push(`  ${pct(v)}  ${k}`);
  out.push(`top ${top} plugd functions by inclusive time:`);
  for (const [k, v] of sorted(inclusive).slice(0, top)) out.push(`  ${pct(v)}  ${k}`);
  return out;
}
