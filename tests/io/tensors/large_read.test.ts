/**
 * Reading a 200 MB tensor costs about its float32 result in memory, measured in a fresh process (peak RSS), and
 * runs at disk-cache speed. Numbers are printed for the record; the assertion is on memory only.
 */
import assert from "node:assert/strict";
import { bfloat16BitsToFloat32, writeSafetensors } from "@saeflow/io";
import { tempDir } from "../../helpers.ts";

const MB = 2 ** 20;

interface Measured {
  seconds: number;
  before: number;
  peak: number;
  grew: number;
  resultBytes: number;
  checksum: number;
}

async function measure(path: string, name: string): Promise<Measured> {
  const script = new URL("./fixtures/read_peak_rss.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, path, name],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

function expectedChecksum(length: number, value: (i: number) => number): number {
  let sum = 0;
  for (let i = 0; i < length; i += 4099) sum += value(i);
  return sum;
}

const linux = Deno.build.os === "linux";

Deno.test({
  name: "a 200 MB F32 or BF16 tensor reads with peak RSS growing by its float32 result plus at most 32 MB",
  ignore: !linux,
  async fn() {
    await using dir = await tempDir();
    const f32Path = `${dir.path}/f32.safetensors`;
    const elements = 50 * 2 ** 20; // 200 MB of F32
    const f32Value = (i: number) => (i % 4096) * 0.25;
    const f32Data = new Float32Array(elements);
    for (let i = 0; i < elements; i++) f32Data[i] = f32Value(i);
    await writeSafetensors(f32Path, { big: { shape: [elements], data: f32Data } });
    const f32 = await measure(f32Path, "big");
    assert.equal(f32.checksum, expectedChecksum(elements, f32Value));
    assert.equal(f32.resultBytes, 200 * MB);

    const bf16Path = `${dir.path}/bf16.safetensors`;
    const halves = 100 * 2 ** 20; // 200 MB of BF16, 400 MB as float32
    const bf16Bits = (i: number) => 0x3f80 + (i % 128);
    const bf16Data = new Uint16Array(halves);
    for (let i = 0; i < halves; i++) bf16Data[i] = bf16Bits(i);
    await writeSafetensors(bf16Path, { big: { dtype: "BF16", shape: [halves], data: bf16Data } });
    const bf16 = await measure(bf16Path, "big");
    assert.equal(bf16.checksum, expectedChecksum(halves, (i) => bfloat16BitsToFloat32(bf16Bits(i))));

    for (const [label, m, fileMb] of [["F32", f32, 200], ["BF16", bf16, 200]] as const) {
      console.log(
        `${label} ${fileMb} MB → ${m.resultBytes / MB} MB float32: ${m.seconds.toFixed(3)} s ` +
          `(${(fileMb / m.seconds).toFixed(0)} MB/s of file), RSS ${(m.before / MB).toFixed(0)} → peak ` +
          `${(m.peak / MB).toFixed(0)} MB (+${(m.grew / MB).toFixed(0)} MB)`,
      );
    }
    // One copy of the result and no more (a second full copy would be +200 MB).
    assert.ok(f32.grew < f32.resultBytes + 32 * MB, `F32 read grew RSS by ${f32.grew / MB} MB`);
    assert.ok(bf16.grew < bf16.resultBytes + 32 * MB, `BF16 read grew RSS by ${bf16.grew / MB} MB`);
  },
});
