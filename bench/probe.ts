/**
 * Probe training time and peak RSS against scikit-learn 1.2, side by side on the same matrices: binarized sparse
 * features 16k and 65k wide (like pooled-and-binarized SAE features: ~150 active per record, a skewed feature
 * distribution, a planted two-class signal) for 1k and 10k records. Each fit runs in a fresh child process (ours in
 * Deno, sklearn in `/usr/bin/python3`), which reads the same raw little-endian CSR files, so peak RSS is per case:
 * - logistic: L2, class-balanced, C = 1, at most 100 iterations (sklearn's `max_iter` default, lbfgs);
 * - tree: CART, max depth 5, class-balanced.
 *
 * Run: `./node_modules/.bin/deno run -A bench/probe.ts`
 */
import { mulberry32 } from "@saeflow/core";
import { fitLogistic, fitTree, macroF1, type SparseMatrix } from "@saeflow/probe";
import { format, saveResults } from "./lib.ts";

type Probe = "logistic" | "tree";

/** What one child process reports. */
interface Measured {
  /** Seconds of each fit, in order. */
  seconds: number[];
  /** Peak RSS of the process after its first fit (kB) and its RSS after loading the matrix (kB). */
  peakKb: number;
  baseKb: number;
  /** Train macro-F1 of the last fit. */
  f1: number;
  /** Logistic: solver iterations; tree: leaves. */
  size: number;
  /** Logistic: `C · Σᵢ wᵢ·lossᵢ + ½‖w‖²` at the fit (the same formula on both sides); tree: null. */
  objective: number | null;
}

/** `VmRSS`, `VmHWM`, … of this process in kB. */
const procStatusKb = (field: string) =>
  Number(Deno.readTextFileSync("/proc/self/status").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))![1]);

/** Reads `rowPtr`, `indices` and `y` (raw little-endian Int32) and `meta.json` from `dir`. */
async function readMatrix(dir: string): Promise<{ X: SparseMatrix; y: Int32Array }> {
  const { rows, cols } = JSON.parse(await Deno.readTextFile(`${dir}/meta.json`));
  const int32 = async (name: string) => {
    const bytes = await Deno.readFile(`${dir}/${name}`);
    return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  };
  return {
    X: { kind: "sparse", rows, cols, rowPtr: await int32("rowPtr"), indices: await int32("indices") },
    y: await int32("y"),
  };
}

if (Deno.args[0] === "--worker") {
  const [, dir, probe, reps] = Deno.args;
  const { X, y } = await readMatrix(dir);
  const baseKb = procStatusKb("VmRSS");
  const seconds: number[] = [];
  const fit = () =>
    probe === "logistic"
      ? fitLogistic(X, y, 2, { C: 1, classWeight: "balanced", maxIter: 100 })
      : fitTree(X, y, 2, { maxDepth: 5, classWeight: "balanced" });
  let fitted!: ReturnType<typeof fit>;
  let peakKb = 0;
  for (let rep = 0; rep < Number(reps); rep++) {
    const start = performance.now();
    fitted = fit();
    seconds.push((performance.now() - start) / 1000);
    // The first fit's peak: later ones only add garbage V8 has not collected yet.
    if (rep === 0) peakKb = procStatusKb("VmHWM");
  }
  const predicted = fitted.predict(X);
  await Deno.writeFile(`${dir}/pred-ours`, new Uint8Array(predicted.buffer));
  const measured: Measured = {
    seconds,
    peakKb,
    baseKb,
    f1: macroF1(y, predicted, 2),
    size: "iterations" in fitted ? fitted.iterations : fitted.leaves,
    objective: "objective" in fitted ? fitted.objective : null,
  };
  console.log(JSON.stringify(measured));
  Deno.exit(0);
}

/** The sklearn side: the same files, the same report on stdout. */
const PYTHON = String.raw`
import json, resource, sys, time, warnings
import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier

warnings.filterwarnings("ignore")  # ConvergenceWarning at max_iter=100
d, probe, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
meta = json.load(open(d + "/meta.json"))
raw = lambda name: np.fromfile(d + "/" + name, dtype="<i4")
indices, row_ptr, y = raw("indices"), raw("rowPtr"), raw("y")
X = sp.csr_matrix((np.ones(len(indices)), indices, row_ptr), shape=(meta["rows"], meta["cols"]))

def status_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

base_kb = status_kb("VmRSS")
seconds = []
for _ in range(reps):
    if probe == "logistic":
        model = LogisticRegression(C=1, class_weight="balanced", max_iter=100)
    else:
        model = DecisionTreeClassifier(max_depth=5, class_weight="balanced", random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    seconds.append(time.perf_counter() - start)
    if len(seconds) == 1:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
predicted = model.predict(X).astype("<i4")
predicted.tofile(d + "/pred-sklearn")
f1 = f1_score(y, predicted, average="macro")
if probe == "logistic":
    size = int(model.n_iter_[0])
    z = X @ model.coef_[0] + model.intercept_[0]
    weight = (len(y) / (2 * np.bincount(y)))[y]
    objective = float((weight * (np.logaddexp(0, z) - y * z)).sum() + 0.5 * (model.coef_ ** 2).sum())
else:
    size, objective = int(model.get_n_leaves()), None
print(json.dumps({"seconds": seconds, "peakKb": peak_kb, "baseKb": base_kb, "f1": f1, "size": size,
                  "objective": objective}))
`;

/** Features per record, as sum pooling then `x > 1` leaves a ~100-token prompt under a TopK SAE. */
const ACTIVE = 150;
/** Features more likely in class 1, and how many of a class-1 record's features come from them. */
const SIGNAL_FEATURES = 300, SIGNAL_DRAWS = 15;

/**
 * A deterministic binarized CSR matrix: feature ids drawn Zipf-like (the rank-r feature has weight 1 / (r + 10),
 * ranks shuffled over the ids), so a few features are in most records and most are rare; 40% of records are class
 * 1 and take `SIGNAL_DRAWS` of their features uniformly from `SIGNAL_FEATURES` features of ranks 50 .. 5000; 5% of
 * the labels are then flipped.
 */
function syntheticMatrix(rows: number, cols: number, seed: number): { X: SparseMatrix; y: Int32Array } {
  const uniform = mulberry32(seed);
  const idOfRank = Int32Array.from({ length: cols }, (_, i) => i);
  for (let i = cols - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [idOfRank[i], idOfRank[j]] = [idOfRank[j], idOfRank[i]];
  }
  const cumulative = new Float64Array(cols);
  for (let r = 0, sum = 0; r < cols; r++) cumulative[r] = sum += 1 / (r + 10);
  const total = cumulative[cols - 1];
  const zipf = () => {
    const u = uniform() * total;
    let lo = 0, hi = cols - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    return idOfRank[lo];
  };
  const signalRanks = new Set<number>();
  while (signalRanks.size < SIGNAL_FEATURES) signalRanks.add(50 + Math.floor(uniform() * 4950));
  const signal = Int32Array.from(signalRanks, (r) => idOfRank[r]);
  const rowPtr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * ACTIVE);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const positive = uniform() < 0.4;
    const picked = new Set<number>();
    if (positive) { while (picked.size < SIGNAL_DRAWS) picked.add(signal[Math.floor(uniform() * SIGNAL_FEATURES)]); }
    while (picked.size < ACTIVE) picked.add(zipf());
    indices.set(Int32Array.from(picked).sort(), i * ACTIVE);
    rowPtr[i + 1] = (i + 1) * ACTIVE;
    y[i] = positive !== uniform() < 0.05 ? 1 : 0;
  }
  return { X: { kind: "sparse", rows, cols, rowPtr, indices }, y };
}

async function writeMatrix(dir: string, X: SparseMatrix, y: Int32Array): Promise<void> {
  const write = (name: string, a: Int32Array) =>
    Deno.writeFile(`${dir}/${name}`, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  await write("rowPtr", X.rowPtr);
  await write("indices", X.indices);
  await write("y", y);
  await Deno.writeTextFile(`${dir}/meta.json`, JSON.stringify({ rows: X.rows, cols: X.cols }));
}

async function measure(command: string, args: string[]): Promise<Measured> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  if (code !== 0) throw new Error(`${command} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (kb: number) => format(kb / 1024);
const rss = (m: Measured) => `${mb(m.peakKb)} (+${mb(m.peakKb - m.baseKb)})`;

const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const WORKER = ["run", "-A", `--config=${CONFIG}`, new URL(import.meta.url).pathname, "--worker"];
const rows: Record<string, string | number>[] = [];
const started = performance.now();
for (const width of [16_384, 65_536]) {
  for (const records of [1_000, 10_000]) {
    const { X, y } = syntheticMatrix(records, width, 42);
    const dir = await Deno.makeTempDir({ prefix: "saeflow-bench-probe-" });
    try {
      await writeMatrix(dir, X, y);
      for (const probe of ["logistic", "tree"] satisfies Probe[]) {
        const reps = String(records <= 1_000 ? 5 : 3);
        const ours = await measure(Deno.execPath(), [...WORKER, dir, probe, reps]);
        const sklearn = await measure("/usr/bin/python3", ["-c", PYTHON, dir, probe, reps]);
        const [oursPredicted, sklearnPredicted] = await Promise.all(
          ["ours", "sklearn"].map(async (side) => new Int32Array((await Deno.readFile(`${dir}/pred-${side}`)).buffer)),
        );
        const same = oursPredicted.filter((c, i) => c === sklearnPredicted[i]).length / records;
        rows.push({
          width,
          rows: format(records),
          nnz: format(X.indices.length),
          probe,
          "ours (s)": format(median(ours.seconds), 2),
          "sklearn (s)": format(median(sklearn.seconds), 2),
          "ours peak RSS (MB)": rss(ours),
          "sklearn peak RSS (MB)": rss(sklearn),
          "train macro-F1 ours / sklearn": `${format(ours.f1, 3)} / ${format(sklearn.f1, 3)}`,
          "same train predictions": `${format(100 * same, 1)}%`,
          "iterations (logistic) or leaves (tree) ours / sklearn": `${ours.size} / ${sklearn.size}`,
          "objective ours / sklearn": ours.objective === null
            ? "–"
            : `${format(ours.objective, 2)} / ${format(sklearn.objective!, 2)}`,
        });
        console.error(JSON.stringify({ ...rows.at(-1), ours: ours.seconds, sklearn: sklearn.seconds }));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}
console.error(`total ${format((performance.now() - started) / 1000, 1)} s`);
await saveResults(
  "probe",
  rows,
  `Synthetic binarized CSR matrices (no values) like pooled-and-binarized SAE features: ${ACTIVE} active features ` +
    "per record drawn Zipf-like (feature of rank r weighs 1 / (r + 10)), 40% class 1 with " +
    `${SIGNAL_DRAWS} of its features from ${SIGNAL_FEATURES} planted ones, 5% of labels flipped, seed 42. ` +
    "Each side fits the same raw files in a fresh process, single-threaded: ours in Deno, scikit-learn " +
    "1.2 on scipy CSR (float64 ones). logistic = L2, class-balanced, C = 1, at most 100 iterations " +
    '(`LogisticRegression(C=1, class_weight="balanced", max_iter=100)`, lbfgs); tree = max depth 5, class-balanced ' +
    '(`DecisionTreeClassifier(max_depth=5, class_weight="balanced", random_state=0)`). Times: median of 5 fits ' +
    "(1k records) or 3 (10k) in one process, the first (cold) one included, fit call only (ours includes its input check and, for the tree, the " +
    "column sort; sklearn includes its input validation and CSC conversion). Peak RSS: the process's high-water " +
    "mark (VmHWM / ru_maxrss) after its first fit, and in parentheses its growth over the RSS right after " +
    "loading the matrix (both processes hold the runtime, the matrix and the labels before that). Objective: C · Σ wᵢ·lossᵢ + ½‖w‖² at each side's coefficients (the problem both solve); same " +
    "train predictions: rows where the two fitted models predict the same class.",
);
