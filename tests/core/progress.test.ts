import assert from "node:assert/strict";
import { ProgressReporter, ProgressStream } from "@saeflow/core";

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

Deno.test("lines mode writes one line per interval with rates, share and ETA", () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const progress = new ProgressReporter({
    label: "ingest",
    total: 1000,
    mode: "lines",
    intervalMs: 1000,
    now: clock.now,
    write: (l) => lines.push(l),
  });
  clock.advance(500);
  progress.add(100, 2000);
  assert.equal(lines.length, 0, "no line before the interval");
  clock.advance(500);
  progress.add(100, 2000); // 200 records in 1 s
  assert.deepEqual(lines, ["ingest: 200 records (20.0%), 200 rec/s, 4,000 tok/s, ETA 4s"]);
  clock.advance(1000);
  progress.add(200);
  const snap = progress.finish();
  assert.equal(snap.records, 400);
  assert.equal(snap.etaMs, 3000);
  assert.equal(lines.at(-1), "ingest: done, 400 records, 4,000 tokens in 2.0s (200 rec/s, 2,000 tok/s)");
});

Deno.test("quiet mode writes nothing; ProgressStream counts through a stream", async () => {
  const lines: string[] = [];
  const progress = new ProgressReporter({ label: "q", mode: "quiet", write: (l) => lines.push(l) });
  const out = await Array.fromAsync(
    ReadableStream.from([[1, 2, 3], [4]]).pipeThrough(
      new ProgressStream(progress, (b: number[]) => ({ records: b.length, tokens: b.length * 10 })),
    ),
  );
  assert.deepEqual(out, [[1, 2, 3], [4]]);
  assert.equal(progress.snapshot().tokens, 40);
  progress.finish();
  assert.deepEqual(lines, []);
});

Deno.test("auto mode falls back to lines when stderr is not a terminal", () => {
  const progress = new ProgressReporter({ label: "auto", write: () => {} });
  assert.equal(progress.mode, Deno.stderr.isTerminal() ? "bar" : "lines");
});

Deno.test("on a real terminal (a pseudo-TTY from `script`) auto mode draws the bar with rates and ETA", async () => {
  const program = `
    import { ProgressReporter } from "@saeflow/core";
    const p = new ProgressReporter({ label: "tty", total: 40 });
    console.error("mode=" + p.mode);
    for (let i = 0; i < 40; i++) { p.add(1, 25); await new Promise((r) => setTimeout(r, 5)); }
    p.finish();`;
  // Inside the workspace (so "@saeflow/core" resolves) but in .tmp/, which fmt, lint and check leave alone.
  const dir = new URL("../../.tmp/", import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.makeTempFile({ dir, suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, program);
    const { stdout } = await new Deno.Command("script", {
      args: ["-qec", `${Deno.execPath()} run -A ${file}`, "/dev/null"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.match(out, /mode=bar/);
    assert.match(out, /tty \|[█░]+\| 100% 40\/40 records \| [\d,]+ rec\/s \| [\d,]+ tok\/s \| ETA/);
    assert.match(out, /tty: done, 40 records, 1,000 tokens/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("lines name the counted unit when one is given (a trainer counts steps)", () => {
  const clock = fakeClock();
  const lines: string[] = [];
  const progress = new ProgressReporter({
    label: "train-sae",
    total: 100,
    mode: "lines",
    intervalMs: 1000,
    unit: { plural: "steps", rate: "steps/s" },
    now: clock.now,
    write: (l) => lines.push(l),
  });
  clock.advance(1000);
  progress.add(10, 10_240);
  assert.deepEqual(lines, ["train-sae: 10 steps (10.0%), 10 steps/s, 10,240 tok/s, ETA 9s"]);
  clock.advance(1000);
  progress.add(90, 92_160);
  progress.finish();
  assert.equal(lines.at(-1), "train-sae: done, 100 steps, 102,400 tokens in 2.0s (50 steps/s, 51,200 tok/s)");
});
