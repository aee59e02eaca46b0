/**
 * SAE encoder throughput and memory on CPU: ONNX Runtime (SaeEncoder) against TensorFlow.js (TfjsSaeEncoder, wasm and
 * webgpu), on random JumpReLU SAEs of Gemma 2 2B's width (d_in 2304) with 16k and 65k features.
 *
 * 1. The ceiling: one fp32 MatMul [512, 2304] x [2304, 16384] in ONNX Runtime, median of 5, measured just before and
 *    after each SAE's ORT rows (the host is shared and its speed drifts; see the note in the results).
 * 2. Encoder GFLOP/s (2 · rows · d_in · d_sae per call) at 1, 8, 64 and 512 rows, thresholds set for ~100 active
 *    features per row, as a share of the ceiling; each engine's features compared with ORT's.
 * 3. Peak RSS (VmHWM) of loading the 65k SAE from a safetensors file (W_enc stored on disk, 604 MB) and encoding 512
 *    rows, each engine in a fresh process so that the writer's arrays do not count.
 *
 * Run: `./node_modules/.bin/deno run -A bench/sae_encode.ts`
 */
import * as ort from "onnxruntime-node";
import { createSession, GraphBuilder, OnnxType } from "@saeflow/forward";
import { SafetensorsFile, writeSafetensors } from "@saeflow/io";
import { SaeEncoder } from "../modules/sae/sae_encoder.ts";
import type { SaeSpec, SaeTensor } from "../modules/sae/sae_spec.ts";
import type { SparseFeatures } from "../modules/sae/sparse_features.ts";
import { TfjsSaeEncoder } from "../modules/sae/tfjs_encoder.ts";
import type { TfjsBackend } from "../modules/sae/tfjs_backend.ts";
import { format, saveResults } from "./lib.ts";

const D_IN = 2304;
const WIDTHS = [16384, 65536];
const ROW_COUNTS = [1, 8, 64, 512];
const TARGET_L0 = 100;
/** Time to spend on the timed runs of one case after its warm-up (at least 1 run, at most 5). */
const CASE_BUDGET_MS = 6000;

type Row = Record<string, string | number>;
/** GFLOP/s of each encoder row, for its share of the ceiling (filled in at the end). */
const achieved = new Map<Row, number>();
/** The software WebGPU adapter manages < 1 GFLOP/s: a 512-row call on the 16k SAE takes over a minute. */
const WEBGPU_WIDTHS = [16384];
const WEBGPU_MAX_ROWS = 64;

/** CPU time stolen by the hypervisor so far (/proc/stat, in clock ticks): other guests' load skews timings. */
function stealTicks(): number {
  return Number(Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/)[8]);
}
type Engine = "ORT" | "tfjs-wasm" | "tfjs-webgpu";

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Uniform values with standard deviation `std`. */
function uniformArray(n: number, std: number, seed: number): Float32Array {
  const next = lcg(seed), out = new Float32Array(n), scale = std * Math.sqrt(12);
  for (let i = 0; i < n; i++) out[i] = (next() - 0.5) * scale;
  return out;
}

function gaussianArray(n: number, seed: number): Float32Array {
  const next = lcg(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return out;
}

/** P(N(0,1) > z), Abramowitz & Stegun 7.1.26 (error < 1.5e-7). */
function normalTail(z: number): number {
  const x = z / Math.SQRT2, t = 1 / (1 + 0.3275911 * Math.abs(x));
  const erfc = t * Math.exp(-x * x) *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** z with P(N(0,1) > z) = p, by bisection. */
function normalQuantile(p: number): number {
  let [lo, hi] = [-10, 10];
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Writes a random JumpReLU SAE (Gemma Scope layout: W_enc [d_in, d_sae], no b_dec subtraction) as safetensors and
 * returns its spec with every tensor stored on disk. With x ~ N(0, 1) and W_enc of std 1/sqrt(d_in), each
 * pre-activation is ~ N(b_enc, 1): thresholds at b_enc + z leave ~TARGET_L0 features active per row.
 */
async function writeSae(dir: string, dSae: number): Promise<SaeSpec> {
  const path = saePath(dir, dSae);
  const bEnc = uniformArray(dSae, 0.1, 2);
  const z = normalQuantile(TARGET_L0 / dSae);
  await writeSafetensors(path, {
    W_enc: { shape: [D_IN, dSae], data: uniformArray(D_IN * dSae, 1 / Math.sqrt(D_IN), dSae) },
    b_enc: { shape: [dSae], data: bEnc },
    threshold: { shape: [dSae], data: bEnc.map((b) => b + z) },
    b_dec: { shape: [D_IN], data: uniformArray(D_IN, 0.1, 3) },
  });
  return await storedSpec(path, dSae);
}

function saePath(dir: string, dSae: number): string {
  return `${dir}/sae_${dSae}.safetensors`;
}

async function storedSpec(path: string, dSae: number): Promise<SaeSpec> {
  using file = await SafetensorsFile.open(path);
  const stored = (name: string): SaeTensor => {
    const e = file.entry(name);
    return { shape: e.shape, stored: { file: path, offset: e.begin, length: e.end - e.begin, dtype: "F32" } };
  };
  return {
    id: `random jumprelu ${D_IN}x${dSae}`,
    source: path,
    architecture: "jumprelu",
    dIn: D_IN,
    dSae,
    applyBDecToInput: false,
    normalization: { kind: "none" },
    weights: { W_enc: stored("W_enc"), b_enc: stored("b_enc"), threshold: stored("threshold"), b_dec: stored("b_dec") },
  };
}

/** A warm-up call, then as many timed calls as fit in CASE_BUDGET_MS (1 to 5); the median in ms. */
async function timeCalls(work: () => Promise<unknown>): Promise<{ ms: number; runs: number }> {
  const warmStart = performance.now();
  await work();
  const warmMs = performance.now() - warmStart;
  const runs = Math.max(1, Math.min(5, Math.floor(CASE_BUDGET_MS / warmMs)));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], runs };
}

/** 1. One MatMul [512, 2304] x [2304, 16384] in ONNX Runtime, median of 5: the most this machine's ORT does. */
async function ortCeiling(when: string): Promise<{ gflops: number; row: Row }> {
  const [m, k, n] = [512, D_IN, 16384];
  const g = new GraphBuilder("matmul");
  const a = g.input("a", OnnxType.float, [m, k]);
  g.output(
    g.node("MatMul", [a, g.initializer("b", uniformArray(k * n, 1 / Math.sqrt(k), 9), [k, n])]),
    OnnxType.float,
    [
      m,
      n,
    ],
    "c",
  );
  const session = await createSession(g.toModelBytes({ opset: 17 }));
  const feed = { a: new ort.Tensor("float32", gaussianArray(m * k, 4), [m, k]) };
  await session.run(feed);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await session.run(feed);
    times.push(performance.now() - start);
  }
  await session.release();
  times.sort((x, y) => x - y);
  const ms = times[2];
  const gflops = (2 * m * k * n) / ms / 1e6;
  const result = row({
    measurement: `ceiling: one ORT MatMul [${m}, ${k}] x [${k}, ${n}] (${when})`,
    engine: "ORT",
    "d_sae": n,
    rows: m,
    runs: 5,
    "ms/call": format(ms, 1),
    "GFLOP/s": format(gflops, 1),
  });
  achieved.set(result, gflops);
  return { gflops, row: result };
}

const COLUMNS = [
  "measurement",
  "engine",
  "d_sae",
  "rows",
  "runs",
  "ms/call",
  "GFLOP/s",
  "% of ceiling",
  "L0/row",
  "same features as ORT",
  "RSS before load MB",
  "peak RSS load MB",
  "peak RSS load+encode MB",
];

/** Every column, "-" where the measurement has none. */
function row(values: Row): Row {
  return Object.fromEntries(COLUMNS.map((c) => [c, values[c] ?? "-"]));
}

function rowSets(f: SparseFeatures): string[] {
  return Array.from({ length: f.rows }, (_, r) => Array.from(f.indices.subarray(f.rowPtr[r], f.rowPtr[r + 1])).join());
}

interface Encoder {
  encode(x: Float32Array, rows: number): Promise<{ features: SparseFeatures }>;
  release(): Promise<void>;
}

async function createEncoder(engine: Engine, spec: SaeSpec): Promise<Encoder> {
  if (engine === "ORT") return await SaeEncoder.create(spec);
  return await TfjsSaeEncoder.create(spec, { backend: engine.slice("tfjs-".length) as TfjsBackend });
}

/** 2. One engine on one SAE at every row count. `reference`: ORT's features per row count, filled by the ORT pass. */
async function encoderRows(
  engine: Engine,
  spec: SaeSpec,
  x: Float32Array,
  reference: Map<number, string[]>,
): Promise<Row[]> {
  const loadStart = performance.now();
  const encoder = await createEncoder(engine, spec);
  console.error(`${engine} ${spec.dSae}: loaded in ${format((performance.now() - loadStart) / 1000, 1)} s`);
  const rows: Row[] = [];
  for (const n of ROW_COUNTS.filter((n) => n <= (engine === "tfjs-webgpu" ? WEBGPU_MAX_ROWS : Infinity))) {
    const input = x.subarray(0, n * D_IN);
    const features = (await encoder.encode(input, n)).features;
    const sets = rowSets(features);
    if (engine === "ORT") reference.set(n, sets);
    const same = sets.filter((s, r) => s === reference.get(n)![r]).length;
    const steal = stealTicks();
    const { ms, runs } = await timeCalls(() => encoder.encode(input, n));
    const gflops = (2 * n * D_IN * spec.dSae) / ms / 1e6;
    console.error(
      `${engine} ${spec.dSae} x ${n} rows: ${format(ms, 1)} ms, ${format(gflops, 1)} GFLOP/s ` +
        `(${runs} runs; steal ${stealTicks() - steal} ticks)`,
    );
    const result = row({
      measurement: "encoder (JumpReLU)",
      engine: engine === "tfjs-webgpu" ? "tfjs-webgpu (software Vulkan: llvmpipe)" : engine,
      "d_sae": spec.dSae,
      rows: n,
      runs,
      "ms/call": format(ms, 1),
      "GFLOP/s": format(gflops, 1),
      "L0/row": format(features.indices.length / n, 1),
      "same features as ORT": `${same}/${n} rows`,
    });
    achieved.set(result, gflops);
    rows.push(result);
  }
  await encoder.release();
  return rows;
}

function statusKb(field: string): number {
  const match = Deno.readTextFileSync("/proc/self/status").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!match) throw new Error(`/proc/self/status has no ${field}`);
  return Number(match[1]);
}

/** Child-process half of 3: load the stored SAE, encode 512 rows, report the peaks. */
async function measureRss(engine: Engine, path: string, dSae: number): Promise<Row> {
  const spec = await storedSpec(path, dSae);
  const x = gaussianArray(512 * D_IN, 11);
  const before = statusKb("VmRSS");
  Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
  const encoder = await createEncoder(engine, spec);
  const afterLoad = statusKb("VmHWM");
  const { features } = await encoder.encode(x, 512);
  const afterEncode = statusKb("VmHWM");
  await encoder.release();
  const mb = (kb: number) => format(kb / 1024);
  return row({
    measurement: `peak RSS, fresh process: load (W_enc ${format((D_IN * dSae * 4) / 2 ** 20)} MB on disk) + encode`,
    engine,
    "d_sae": dSae,
    rows: 512,
    runs: 1,
    "L0/row": format(features.indices.length / 512, 1),
    "RSS before load MB": mb(before),
    "peak RSS load MB": mb(afterLoad),
    "peak RSS load+encode MB": mb(afterEncode),
  });
}

async function rssRow(engine: Engine, path: string, dSae: number): Promise<Row> {
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", import.meta.filename!, "--measure-rss", engine, path, String(dSae)],
    stderr: "inherit",
  }).output();
  if (!child.success) throw new Error(`the measuring process (${engine}) failed`);
  return JSON.parse(new TextDecoder().decode(child.stdout));
}

if (Deno.args[0] === "--measure-rss") {
  console.log(JSON.stringify(await measureRss(Deno.args[1] as Engine, Deno.args[2], Number(Deno.args[3]))));
  Deno.exit(0);
}

const benchStart = performance.now();
const stealStart = stealTicks();
const dir = await Deno.makeTempDir({ prefix: "saeflow-bench-sae-" });
try {
  // On this shared host the same MatMul has measured from ~60 to ~157 GFLOP/s minutes apart, with no steal in
  // /proc/stat; ORT's two threads slow down with it (single-threaded tfjs-wasm hardly does). So the ceiling is
  // measured just before and just after each SAE's ORT rows, which are kept only when the two agree within 20%
  // (else measured again, 3 tries at most); the highest ceiling is the reference.
  const ceilings: { gflops: number; row: Row }[] = [];
  const measureCeiling = async (when: string) => {
    const ceiling = await ortCeiling(when);
    ceilings.push(ceiling);
    console.error(`ceiling (${when}): ${format(ceiling.gflops, 1)} GFLOP/s`);
    return ceiling.gflops;
  };
  let retries = 0;
  const rows: Row[] = [];
  const x = gaussianArray(512 * D_IN, 5);

  let webgpu: string | undefined;
  try {
    const probe = await TfjsSaeEncoder.create(await storedSpec(await tinySae(dir), 8), { backend: "webgpu" });
    await probe.release();
  } catch (error) {
    webgpu = String(error);
    console.error(`webgpu not measured: ${webgpu}`);
  }
  for (const dSae of WIDTHS) {
    const spec = await writeSae(dir, dSae);
    const reference = new Map<number, string[]>();
    for (let attempt = 1;; attempt++) {
      const before = await measureCeiling(`before ORT on the ${dSae / 1024}k SAE, try ${attempt}`);
      const ortRows = await encoderRows("ORT", spec, x, reference);
      const after = await measureCeiling(`after ORT on the ${dSae / 1024}k SAE, try ${attempt}`);
      if (Math.min(before, after) / Math.max(before, after) >= 0.8 || attempt === 3) {
        rows.push(...ortRows);
        break;
      }
      console.error(`the host's speed changed during the ORT rows: measuring them again`);
      for (const r of ortRows) achieved.delete(r);
      retries++;
    }
    const engines: Engine[] = ["tfjs-wasm"];
    if (!webgpu && WEBGPU_WIDTHS.includes(dSae)) engines.push("tfjs-webgpu");
    for (const engine of engines) rows.push(...await encoderRows(engine, spec, x, reference));
  }
  const widest = Math.max(...WIDTHS);
  for (const engine of ["ORT", "tfjs-wasm"] as const) rows.push(await rssRow(engine, saePath(dir, widest), widest));
  rows.unshift(...ceilings.map((c) => c.row));
  const ceiling = Math.max(...ceilings.map((c) => c.gflops));
  for (const [r, gflops] of achieved) r["% of ceiling"] = `${format((100 * gflops) / ceiling, 1)}%`;
  const stealSeconds = (stealTicks() - stealStart) / 100;
  const seconds = (performance.now() - benchStart) / 1000;
  console.error(`bench took ${format(seconds, 0)} s; ${format(stealSeconds, 1)} s of CPU stolen by the hypervisor`);
  const remeasured = `${retries} ${retries === 1 ? "set was" : "sets were"} measured again in this run`;
  await saveResults(
    "sae_encode",
    rows,
    `fp32 on CPU: ONNX Runtime 1.30 (SaeEncoder: the whole encoder incl. NonZero extraction in one graph, default ` +
      `threads) vs TensorFlow.js 4.22 (TfjsSaeEncoder: x @ W_enc + b_enc in tfjs, W_enc in blocks of <= 128 MiB, ` +
      `gate + sparse extraction in JS). tfjs-wasm is single-threaded SIMD under Deno (its threaded build cannot start ` +
      `its workers there); tfjs-webgpu runs on mesa's software Vulkan adapter (llvmpipe, on the CPU), not a GPU, and ` +
      `is measured on the 16k SAE up to ${WEBGPU_MAX_ROWS} rows only (a 512-row call takes over a minute)` +
      (webgpu ? ` (not measured this time: ${webgpu})` : "") +
      `. GFLOP/s count 2·rows·d_in·d_sae per call; "% of ceiling" is against the highest of the ORT MatMul rows, ` +
      `measured just before and after each SAE's ORT rows: this VM shares its host, and the same MatMul has ` +
      `measured anywhere from ~60 to ~157 GFLOP/s minutes apart (/proc/stat showed ${format(stealSeconds, 1)} s ` +
      `of steal in this ${format(seconds, 0)} s run), so ORT rows are kept only when the two ceilings around them ` +
      `agree within 20% (${remeasured}); this machine's fp32 peak is ~157 at its base clock. Random JumpReLU SAEs, ` +
      `d_in ${D_IN}, thresholds for ~${TARGET_L0} active features per row, inputs ~N(0, 1); every tensor stored in ` +
      `a safetensors file and read from it (ORT: external data; tfjs: positioned reads). Runs: median after one ` +
      `warm-up call, fewer runs (>= 1) for slow cases. "same features as ORT": rows whose active index set equals ` +
      `ORT's. Peak RSS: VmHWM of a fresh process, reset after its imports ("RSS before load"), after creating the ` +
      `encoder and after encoding 512 rows.`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** A tiny stored SAE, to see whether a backend starts. */
async function tinySae(dir: string): Promise<string> {
  const path = `${dir}/tiny.safetensors`;
  await writeSafetensors(path, {
    W_enc: { shape: [D_IN, 8], data: new Float32Array(D_IN * 8) },
    b_enc: { shape: [8], data: new Float32Array(8) },
    threshold: { shape: [8], data: new Float32Array(8) },
    b_dec: { shape: [D_IN], data: new Float32Array(D_IN) },
  });
  return path;
}
