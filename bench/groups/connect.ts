// "connect": the CONNECT tunnel against a direct loopback connection, in one run. plugd (CLI,
// the connect plugin on, pinned to core 0) relays; a measuring child pinned to core 1 holds both
// ends: a target (sink/source) and the client, so "direct" is that child talking to itself and
// "tunnel" is the same traffic through plugd. Measured:
//   - throughput: 1 GiB client -> target ("up") and target -> client ("down"), direct and
//     tunnel alternated in rounds; the median of per-round tunnel/direct ratios (target >= 0.8);
//   - setup: 1,000 tunnels one after another, from the CONNECT being written to the first byte
//     of the target arriving through the tunnel (p50, p99); direct = connect() to first byte.
// For scale, the same transfers also go through socat (a native TCP relay, no CONNECT, pinned to
// core 0 like plugd) when it is installed: socat/direct is what one more loopback hop costs on
// this machine whatever relays it (under gVisor's netstack it is far from 1).
// This file is also the measuring child: `node --import tsx bench/groups/connect.ts --measure ...`.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cpuSnapshot, describeNoise, isNoisy, noiseBetween } from "../lib/noise.ts";
import { hasCommand, LOADER_CORE, pinned, SERVER_CORE, spawnTracked, stopProcess, tail } from "../lib/process.ts";
import { BENCH, ROOT, startServer, type RunningServer, type ServerSpec } from "../lib/servers.ts";
import { fmt, max, median, min } from "../lib/stats.ts";
import { missingRow, type Context, type Group, type Row } from "./types.ts";

const GIB = 1 << 30;
const MIB = 1 << 20;
const TUNNELS = 1000;
const THIS_FILE = fileURLToPath(import.meta.url);

// --- the measuring child ---------------------------------------------------------------------

type Path = "direct" | "tunnel" | "relay";
type Runs = Partial<Record<Path, number[]>>;

interface Measured {
  /** ms per run, per path, in round order. */
  readonly up: Runs;
  readonly down: Runs;
  /** ms: CONNECT written -> first target byte; CONNECT written -> first byte of the 200; direct connect() -> first byte. */
  readonly setup: { tunnel: number[]; head: number[]; direct: number[] };
  readonly bytes: number;
}

const BLOCK = Buffer.alloc(MIB, 0xa5);

/** The target: greets every connection with one byte, then "U"+len: reads len bytes, answers "A"; "D"+len: sends len bytes. */
function startTarget(): Promise<number> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    socket.write("!");
    let header = Buffer.alloc(0);
    let left = -1;
    socket.on("data", (chunk: Buffer) => {
      if (left < 0) {
        header = Buffer.concat([header, chunk]);
        if (header.length < 9) return;
        const mode = String.fromCharCode(header[0] as number);
        left = Number(header.readBigUInt64BE(1));
        chunk = header.subarray(9);
        if (mode === "D") return send(socket, left);
      }
      left -= chunk.length;
      if (left === 0) socket.write("A");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

function send(socket: net.Socket, total: number, done?: () => void): void {
  let left = total;
  const more = (): void => {
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      left -= n;
      if (!socket.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) return void socket.once("drain", more);
    }
    done?.();
  };
  more();
}

/** A socket to the target, past its greeting: directly, or through a CONNECT tunnel. */
function open(targetPort: number, proxy: { host: string; port: number } | undefined): Promise<{ socket: net.Socket; connectToFirst: number; headAt: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let start = t0;
    let headAt = -1;
    const socket = proxy === undefined ? net.connect({ port: targetPort, host: "127.0.0.1", noDelay: true }) : net.connect({ port: proxy.port, host: proxy.host, noDelay: true });
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      let rest = got;
      if (proxy !== undefined) {
        if (headAt < 0) headAt = performance.now() - start;
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) return;
        if (!got.subarray(0, 12).toString("latin1").startsWith("HTTP/1.1 200")) return reject(new Error(`CONNECT refused: ${got.subarray(0, end).toString("latin1")}`));
        rest = got.subarray(end + 4);
      }
      if (rest.length === 0) return;
      socket.off("data", onData);
      resolve({ socket, connectToFirst: performance.now() - start, headAt });
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.once("connect", () => {
      if (proxy === undefined) return;
      start = performance.now();
      socket.write(`CONNECT 127.0.0.1:${targetPort} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\n\r\n`);
    });
  });
}

function header(mode: "U" | "D", bytes: number): Buffer {
  const h = Buffer.alloc(9);
  h.write(mode, 0, "latin1");
  h.writeBigUInt64BE(BigInt(bytes), 1);
  return h;
}

/** ms to move `bytes` one way over a fresh connection (direct, tunnelled or relayed). */
async function transfer(port: number, proxy: { host: string; port: number } | undefined, mode: "U" | "D", bytes: number): Promise<number> {
  const { socket } = await open(port, proxy);
  const t0 = performance.now();
  socket.write(header(mode, bytes));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    if (mode === "U") {
      socket.on("data", (c: Buffer) => {
        if (c.includes(0x41)) resolve();
      });
      send(socket, bytes);
    } else {
      let left = bytes;
      socket.on("data", (c: Buffer) => {
        left -= c.length;
        if (left <= 0) resolve();
      });
    }
  });
  const ms = performance.now() - t0;
  socket.destroy();
  return ms;
}

/** socat relaying a local port to the target, pinned to the server core; undefined when not installed. */
async function startRelay(targetPort: number): Promise<{ port: number; stop(): Promise<unknown> } | undefined> {
  if (!hasCommand("socat")) return undefined;
  // socat cannot report an ephemeral port: take a free one, then wait until it accepts.
  const probe = net.createServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, "127.0.0.1", () => resolve((probe.address() as net.AddressInfo).port)));
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const proc = spawnTracked(pinned(SERVER_CORE, ["socat", `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:127.0.0.1:${targetPort},nodelay`]), ROOT);
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => resolve(true));
      s.once("error", () => resolve(false));
      s.once("data", () => s.destroy());
    });
    if (up) break;
    if (i > 100) throw new Error(`socat did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Awaited before this child exits, so socat's CPU time is ours in the noise check, not "others".
  return { port, stop: () => stopProcess(proc, 1000) };
}

async function measure(proxyText: string, rounds: number, bytes: number, warmupBytes: number, tunnels: number): Promise<Measured> {
  const [host = "127.0.0.1", port = "0"] = proxyText.split(/:(?=\d+$)/);
  const proxy = { host, port: Number(port) };
  const targetPort = await startTarget();
  const relay = await startRelay(targetPort);
  const paths: { path: Path; port: number; proxy?: { host: string; port: number } }[] = [
    { path: "direct", port: targetPort },
    { path: "tunnel", port: targetPort, proxy },
    ...(relay !== undefined ? [{ path: "relay" as const, port: relay.port }] : []),
  ];
  const out: Measured = { up: {}, down: {}, setup: { tunnel: [], head: [], direct: [] }, bytes };
  try {
    if (warmupBytes > 0) for (const mode of ["U", "D"] as const) for (const p of paths) await transfer(p.port, p.proxy, mode, warmupBytes);
    for (let r = 0; r < rounds; r++) {
      // Rotate which goes first, so none always runs on a warmer (or quieter) machine.
      const order = paths.map((_, i) => paths[(i + r) % paths.length] as (typeof paths)[number]);
      for (const mode of ["U", "D"] as const) {
        for (const p of order) {
          const ms = await transfer(p.port, p.proxy, mode, bytes);
          ((mode === "U" ? out.up : out.down)[p.path] ??= []).push(ms);
        }
      }
    }
    for (let i = 0; i < tunnels; i++) {
      const t = await open(targetPort, proxy);
      t.socket.destroy();
      out.setup.tunnel.push(t.connectToFirst);
      out.setup.head.push(t.headAt);
      const d = await open(targetPort, undefined);
      d.socket.destroy();
      out.setup.direct.push(d.connectToFirst);
    }
  } finally {
    await relay?.stop();
  }
  return out;
}

if (process.argv[1] === THIS_FILE) {
  const { values } = parseArgs({
    options: { measure: { type: "boolean" }, proxy: { type: "string" }, rounds: { type: "string" }, bytes: { type: "string" }, warmup: { type: "string" }, tunnels: { type: "string" } },
  });
  if (values.measure !== true || values.proxy === undefined) {
    process.stderr.write("usage: bench/groups/connect.ts --measure --proxy HOST:PORT [--rounds N] [--bytes N] [--warmup N] [--tunnels N]\n");
    process.exit(2);
  }
  const result = await measure(values.proxy, Number(values.rounds ?? 4), Number(values.bytes ?? GIB), Number(values.warmup ?? 256 * MIB), Number(values.tunnels ?? TUNNELS));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

// --- the group -------------------------------------------------------------------------------

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function plugdSpec(config: string): ServerSpec {
  return {
    name: "plugd",
    missing: () => (existsSync(join(ROOT, "plugins/connect/index.ts")) ? undefined : "plugins/connect/index.ts does not exist"),
    argv: () => [process.execPath, "--import", "tsx", join(ROOT, "core/cli.ts"), "--config", config],
    describe: () => "core/cli.ts, hello plugin + connect (allow 127.0.0.1:*, allowAddresses 127.0.0.1/32)",
  };
}

/** Median of per-round ratios a/b of rates (ms in, so b/a of times). */
function rateRatios(a: number[], b: number[]): number[] {
  return a.map((ms, i) => (b[i] as number) / ms);
}

function throughputRow(metric: string, runs: Runs, bytes: number, noisy: boolean): Row {
  const rate = (ms: number): number => bytes / MIB / (ms / 1000);
  const direct = runs.direct ?? [];
  const tunnel = runs.tunnel ?? [];
  const ratios = rateRatios(tunnel, direct);
  const relay = runs.relay;
  const note =
    relay === undefined
      ? "socat is not installed (apt-get install socat): no native-relay reference for this machine"
      : `socat relay (native, same core as plugd) ${fmt(median(relay.map(rate)), 0)} MiB/s, socat/direct ${fmt(median(rateRatios(relay, direct)))}, plugd/socat ${fmt(median(rateRatios(tunnel, relay)))}`;
  return {
    group: "connect",
    metric,
    plugd: `${fmt(median(tunnel.map(rate)), 0)} MiB/s`,
    peer: "direct",
    peerValue: `${fmt(median(direct.map(rate)), 0)} MiB/s`,
    ratio: median(ratios),
    spread: [min(ratios), max(ratios)],
    target: { op: ">=", value: 0.8 },
    noisy,
    note,
  };
}

export const connect: Group = {
  name: "connect",
  title: "CONNECT tunnel vs direct loopback: 1 GiB each way, tunnel setup p50/p99 over 1,000 tunnels",
  async run(ctx: Context): Promise<Row[]> {
    const folder = mkdtempSync(join(tmpdir(), "plugd-bench-connect-"));
    const config = join(folder, "connect.config.json");
    const plugins = { hello: { module: join(BENCH, "hello-plugin.ts") }, connect: { allow: ["127.0.0.1:*"], allowAddresses: ["127.0.0.1/32"] } };
    writeFileSync(config, JSON.stringify({ servers: [{ name: "connect", listen: ["127.0.0.1:0"], root: BENCH, plugins }] }, null, 2));
    const spec = plugdSpec(config);
    const why = spec.missing();
    if (why !== undefined) {
      ctx.problem(`connect: ${why}`);
      rmSync(folder, { recursive: true, force: true });
      return [missingRow("connect", "MiB/s", "direct", why)];
    }
    let server: RunningServer | undefined;
    try {
      server = await startServer(spec);
      ctx.log(`connect: plugd pid ${server.pid} at ${server.url}; ${ctx.opts.rounds} rounds x 1 GiB each way, direct and tunnel alternated; then ${TUNNELS} tunnels`);
      const proxy = server.url.replace(/^http:\/\//, "");
      const argv = [process.execPath, "--import", "tsx", THIS_FILE, "--measure", "--proxy", proxy, "--rounds", String(ctx.opts.rounds), "--bytes", String(GIB), "--warmup", String(ctx.opts.warmup > 0 ? 256 * MIB : 0), "--tunnels", String(TUNNELS)];
      const before = cpuSnapshot();
      const child = spawnTracked(pinned(LOADER_CORE, argv), ROOT);
      const how = await child.exited;
      const noise = noiseBetween(before, cpuSnapshot());
      const line = /^RESULT (.+)$/m.exec(child.stdout())?.[1];
      if (how !== "exit 0" || line === undefined) throw new Error(`the measuring child failed (${how})\n${tail(child.stderr() || child.stdout())}`);
      const m = JSON.parse(line) as Measured;
      const noisy = isNoisy(noise);
      if (noisy) ctx.log(`  connect: the machine was busy meanwhile (${describeNoise(noise)})`);
      const head = `CONNECT->200 p50 ${fmt(percentile(m.setup.head, 50), 3)} ms, p99 ${fmt(percentile(m.setup.head, 99), 3)} ms`;
      const setupRow = (p: number): Row => ({
        group: "connect",
        metric: `setup p${p} ms`,
        plugd: fmt(percentile(m.setup.tunnel, p), 3),
        peer: "direct",
        peerValue: fmt(percentile(m.setup.direct, p), 3),
        noisy,
        note: `${TUNNELS} tunnels: CONNECT written -> first target byte through the tunnel; direct: connect() -> first byte; ${head}`,
      });
      return [throughputRow("MiB/s up (1 GiB)", m.up, m.bytes, noisy), throughputRow("MiB/s down (1 GiB)", m.down, m.bytes, noisy), setupRow(50), setupRow(99)];
    } catch (err) {
      ctx.problem(`connect: ${(err as Error).message}`);
      return [{ ...missingRow("connect", "MiB/s", "direct", (err as Error).message.split("\n")[0] ?? "", true), plugd: "FAILED" }];
    } finally {
      if (server !== undefined) await stopProcess(server.proc);
      rmSync(folder, { recursive: true, force: true });
    }
  },
};
