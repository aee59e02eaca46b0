/**
 * Splits by record id: exact per-class counts, order independence, seeds, preset splits, the per-record draw's
 * proportions, and the hash checked against Python's hashlib (an implementation nobody on this project wrote).
 */
import assert from "node:assert/strict";
import { ConfigError, DataError } from "@saeflow/core";
import {
  assignSplit,
  MOSAIC_SPLIT,
  MOSAIC_SPLIT_WITH_VALIDATION,
  recordSplit,
  splitDraw,
  type SplitRecord,
  stratifiedSplit,
} from "@saeflow/io";
import { mulberry32 } from "../../random.ts";
import { python } from "../../helpers.ts";

/** 3 classes of unequal sizes (103, 57, 10) plus 5 unlabelled records. */
function dataset(): SplitRecord[] {
  const sizes: [string | undefined, number][] = [["neg", 103], ["pos", 57], ["neutral", 10], [undefined, 5]];
  return sizes.flatMap(([label, n]) =>
    Array.from({ length: n }, (_, i) => ({ id: `${label ?? "none"}-${i}`, ...(label ? { label } : {}) }))
  );
}

function shuffled<T>(items: T[], seed: number): T[] {
  const rand = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function counts(records: SplitRecord[], split: Map<string, string>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of records) {
    const byClass = out[r.label ?? "(none)"] ??= {};
    const s = split.get(r.id)!;
    byClass[s] = (byClass[s] ?? 0) + 1;
  }
  return out;
}

Deno.test("stratifiedSplit: exact per-class counts at 80/20", () => {
  const records = dataset();
  const split = stratifiedSplit(records, MOSAIC_SPLIT);
  assert.equal(split.size, records.length);
  assert.deepEqual(counts(records, split), {
    neg: { train: 82, test: 21 }, // round(20.6) = 21
    pos: { train: 46, test: 11 }, // round(11.4) = 11
    neutral: { train: 8, test: 2 },
    "(none)": { train: 4, test: 1 },
  });
});

Deno.test("stratifiedSplit: exact counts with validation, and the same test set as without it", () => {
  const records = dataset();
  const withValidation = stratifiedSplit(records, MOSAIC_SPLIT_WITH_VALIDATION);
  assert.deepEqual(counts(records, withValidation), {
    neg: { train: 74, validation: 8, test: 21 }, // round(8.24) = 8
    pos: { train: 41, validation: 5, test: 11 }, // round(4.56) = 5
    neutral: { train: 7, validation: 1, test: 2 }, // round(0.8) = 1
    "(none)": { train: 4, test: 1 }, // round(0.4) = 0
  });
  const plain = stratifiedSplit(records, MOSAIC_SPLIT);
  for (const r of records) {
    assert.equal(withValidation.get(r.id) === "test", plain.get(r.id) === "test", r.id);
  }
});

Deno.test("stratifiedSplit: halves round up, tiny classes", () => {
  const records = Array.from({ length: 25 }, (_, i) => ({ id: `r${i}`, label: "a" }));
  const split = stratifiedSplit(records, { seed: 1, fractions: { train: 0.9, test: 0.1 } }); // 2.5 -> 3
  assert.equal([...split.values()].filter((s) => s === "test").length, 3);
  const one = stratifiedSplit([{ id: "only", label: "a" }], MOSAIC_SPLIT); // round(0.2) = 0
  assert.deepEqual([...one], [["only", "train"]]);
  assert.equal(stratifiedSplit([], MOSAIC_SPLIT).size, 0);
});

Deno.test("stratifiedSplit: independent of input order", () => {
  const records = dataset();
  const want = stratifiedSplit(records, MOSAIC_SPLIT_WITH_VALIDATION);
  for (const seed of [1, 2, 3]) {
    const got = stratifiedSplit(shuffled(records, seed), MOSAIC_SPLIT_WITH_VALIDATION);
    assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
  }
});

Deno.test("stratifiedSplit / assignSplit: same seed same split, different seeds different splits", () => {
  const records = dataset();
  const a = stratifiedSplit(records, { seed: 42, fractions: { train: 0.8, test: 0.2 } });
  const again = stratifiedSplit(records.map((r) => ({ ...r })), { seed: 42, fractions: { train: 0.8, test: 0.2 } });
  const other = stratifiedSplit(records, { seed: 43, fractions: { train: 0.8, test: 0.2 } });
  assert.deepEqual(again, a);
  const differ = records.filter((r) => a.get(r.id) !== other.get(r.id)).length;
  assert.ok(differ > 20, `only ${differ} records moved between seeds 42 and 43`);
  assert.deepEqual(counts(records, other), counts(records, a)); // counts stay exact whatever the seed

  const ids = Array.from({ length: 1000 }, (_, i) => `id${i}`);
  const s42 = ids.map((id) => assignSplit(id, undefined, MOSAIC_SPLIT));
  assert.deepEqual(ids.map((id) => assignSplit(id, "x", MOSAIC_SPLIT)), s42); // label is not hashed
  const s7 = ids.map((id) => assignSplit(id, undefined, { ...MOSAIC_SPLIT, seed: 7 }));
  assert.ok(s42.filter((s, i) => s !== s7[i]).length > 200);
});

Deno.test("assignSplit: proportions on 10k ids within a few percent, per class too", () => {
  const n = 10_000;
  const tally = { train: 0, validation: 0, test: 0 };
  const perClass = [{ train: 0, validation: 0, test: 0 }, { train: 0, validation: 0, test: 0 }];
  for (let i = 0; i < n; i++) {
    const label = i % 3 === 0 ? "a" : "b";
    const s = assignSplit(`doc-${i}`, label, MOSAIC_SPLIT_WITH_VALIDATION);
    tally[s]++;
    perClass[label === "a" ? 0 : 1][s]++;
  }
  const near = (got: number, total: number, want: number) =>
    assert.ok(Math.abs(got / total - want) < 0.02, `${got}/${total} vs ${want}`);
  near(tally.train, n, 0.72);
  near(tally.validation, n, 0.08);
  near(tally.test, n, 0.2);
  for (const c of perClass) {
    const total = c.train + c.validation + c.test;
    near(c.train, total, 0.72);
    near(c.test, total, 0.2);
  }
  // Carving validation out of train leaves the per-record test set unchanged.
  for (let i = 0; i < 500; i++) {
    const id = `doc-${i}`;
    assert.equal(
      assignSplit(id, undefined, MOSAIC_SPLIT) === "test",
      assignSplit(id, undefined, MOSAIC_SPLIT_WITH_VALIDATION) === "test",
    );
  }
});

Deno.test("preset splits are kept and not counted; presets: reassign ignores them", () => {
  const records: SplitRecord[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ id: `p${i}`, label: "a", split: i < 7 ? "train" : "dev" })),
    ...Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, label: "a" })),
  ];
  const split = stratifiedSplit(records, MOSAIC_SPLIT);
  for (const r of records.filter((r) => r.split)) assert.equal(split.get(r.id), r.split);
  // Only the 20 unsplit records are cut: exactly 4 of them to test.
  assert.equal(records.filter((r) => !r.split && split.get(r.id) === "test").length, 4);
  assert.equal(recordSplit({ id: "p8", split: "dev" }, MOSAIC_SPLIT), "dev");
  assert.equal(recordSplit({ id: "q0" }, MOSAIC_SPLIT), assignSplit("q0", undefined, MOSAIC_SPLIT));

  const reassigned = stratifiedSplit(records, { ...MOSAIC_SPLIT, presets: "reassign" });
  assert.equal([...reassigned.values()].filter((s) => s === "test").length, 6);
  assert.ok([...reassigned.values()].every((s) => s === "train" || s === "test"));
  assert.equal(
    recordSplit({ id: "p8", split: "dev" }, { ...MOSAIC_SPLIT, presets: "reassign" }),
    assignSplit("p8", undefined, MOSAIC_SPLIT),
  );
});

Deno.test("bad input: duplicate ids, bad fractions, bad seed", () => {
  assert.throws(() => stratifiedSplit([{ id: "x" }, { id: "x" }], MOSAIC_SPLIT), DataError);
  assert.throws(() => stratifiedSplit([{ id: "x", split: "train" }, { id: "x" }], MOSAIC_SPLIT), DataError);
  assert.throws(() => assignSplit("x", undefined, { seed: 1, fractions: { train: 0.8, test: 0.3 } }), ConfigError);
  assert.throws(() => assignSplit("x", undefined, { seed: 1, fractions: { train: 1.2, test: -0.2 } }), ConfigError);
  assert.throws(() => assignSplit("x", undefined, { seed: 0.5, fractions: { train: 0.8, test: 0.2 } }), ConfigError);
  assert.throws(() => splitDraw(Number.NaN, "x"), ConfigError);
  // Degenerate but valid fractions.
  assert.equal(assignSplit("x", undefined, { seed: 1, fractions: { train: 1, test: 0 } }), "train");
  assert.equal(assignSplit("x", undefined, { seed: 1, fractions: { train: 0, test: 1 } }), "test");
});

Deno.test("splitDraw: SHA-256 of UTF-8 '<seed>:<id>', top 53 bits over 2^53, as Python's hashlib computes it", async () => {
  const cases: [number, string][] = [
    [42, "sst2:0"],
    [42, "a"],
    [0, ""],
    [-7, "jailbreak:123"],
    [42, "ünïcödé 日本 🙂"],
    [
      9007199254740991,
      "x:y",
    ],
  ];
  const want = await python<{ hex: string; u: number }[]>(
    `import hashlib, json, sys
cases = json.loads(sys.argv[1])
out = []
for seed, id in cases:
    h = hashlib.sha256(f"{seed}:{id}".encode("utf-8")).digest()
    out.append({"hex": h.hex(), "u": (int.from_bytes(h[:8], "big") >> 11) / 2**53})
print(json.dumps(out))`,
    JSON.stringify(cases),
  );
  assert.deepEqual(cases.map(([seed, id]) => splitDraw(seed, id)), want);
  for (const { u } of want) assert.ok(u >= 0 && u < 1);
});
