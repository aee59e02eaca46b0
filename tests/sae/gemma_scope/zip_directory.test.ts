/**
 * The zip directory reader against Python's zipfile: the same members, methods, sizes and header offsets, for
 * NumPy's own archives, ZIP64 ones and archives with a comment; the bytes at each data offset are the member's.
 */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { compressionName, readZipDirectory } from "../../../modules/sae/zip_directory.ts";
import { tempDir } from "../../helpers.ts";
import { bytesAt, gemmaScopeArrays, writeNpz, type Written } from "./npz_fixtures.ts";

async function assertMatchesZipfile(path: string, written: Written) {
  const directory = await readZipDirectory(path);
  assert.equal(directory.size, written.size);
  assert.deepEqual(
    directory.entries.map(({ dataOffset: _, ...entry }) => entry),
    written.entries,
  );
  for (const entry of directory.entries) {
    // An .npy member starts with its magic right at the data offset.
    assert.deepEqual(
      await bytesAt(path, entry.dataOffset, 6),
      new Uint8Array([0x93, ...new TextEncoder().encode("NUMPY")]),
    );
  }
  return directory;
}

Deno.test("np.savez archives: members, methods, sizes and offsets are zipfile's", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  const written = await writeNpz(path, gemmaScopeArrays(16, 48));
  const directory = await assertMatchesZipfile(path, written);
  assert.equal(directory.zip64, false);
  assert.deepEqual(directory.entries.map((e) => e.name).sort(), [
    "W_dec.npy",
    "W_enc.npy",
    "b_dec.npy",
    "b_enc.npy",
    "threshold.npy",
  ]);
  assert.ok(directory.entries.every((e) => e.method === 0));
});

Deno.test("ZIP64 archives: sizes and offsets from the ZIP64 extra field, the directory from the ZIP64 end record", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  const written = await writeNpz(path, gemmaScopeArrays(16, 48), { mode: "zip64" });
  assert.equal(written.zip64EndRecord, true);
  const directory = await assertMatchesZipfile(path, written);
  assert.equal(directory.zip64, true);

  // Past 4 GB the classic end record can only say "see ZIP64": its count, size and offset are all ones.
  const bytes = await Deno.readFile(path);
  const eocd = new DataView(bytes.buffer, bytes.length - 22);
  for (const at of [8, 10]) eocd.setUint16(at, 0xffff, true);
  for (const at of [12, 16]) eocd.setUint32(at, 0xffffffff, true);
  await Deno.writeFile(path, bytes);
  assert.deepEqual(await readZipDirectory(path), directory);
});

Deno.test("members past 4 GB: 64-bit offsets read exactly (a sparse file, no 4 GB written)", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/far.npz`;
  const offset = 5 * 2 ** 30 + 7;
  const written = await writeNpz(path, gemmaScopeArrays(16, 48), { offset });
  assert.ok(written.entries.every((e) => e.localHeaderOffset > 2 ** 32));
  const directory = await assertMatchesZipfile(path, written);
  assert.equal(directory.zip64, true);
});

Deno.test("an archive comment does not hide the end record", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/commented.npz`;
  const comment = "an archive comment ".repeat(20);
  const written = await writeNpz(path, { a: { shape: [3] } }, { mode: "versioned", comment });
  await assertMatchesZipfile(path, written);
});

Deno.test("compressed members are listed with their method", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/compressed.npz`;
  const written = await writeNpz(path, gemmaScopeArrays(4, 8), { mode: "savez_compressed" });
  const directory = await readZipDirectory(path);
  assert.deepEqual(directory.entries.map((e) => e.method), written.entries.map((e) => e.method));
  assert.ok(directory.entries.every((e) => e.method === 8));
  assert.equal(compressionName(8), "deflate");
  assert.equal(compressionName(99), "method 99");
});

Deno.test("not a zip, truncated, missing: DataErrors naming the file", async () => {
  await using dir = await tempDir();
  const text = `${dir.path}/notes.txt`;
  await Deno.writeTextFile(text, "W_enc, W_dec, b_enc, b_dec, threshold\n".repeat(100));
  await assert.rejects(
    readZipDirectory(text),
    (e) => e instanceof DataError && e.message.startsWith(text) && /not a zip archive/.test(e.message),
  );
  const empty = `${dir.path}/empty.npz`;
  await Deno.writeFile(empty, new Uint8Array());
  await assert.rejects(readZipDirectory(empty), (e) => e instanceof DataError && /not a zip archive/.test(e.message));

  const path = `${dir.path}/params.npz`;
  await writeNpz(path, gemmaScopeArrays(16, 48));
  const whole = await Deno.readFile(path);
  for (const keep of [whole.length - 10, Math.floor(whole.length / 2), 100]) {
    const cut = `${dir.path}/cut_${keep}.npz`;
    await Deno.writeFile(cut, whole.subarray(0, keep));
    await assert.rejects(
      readZipDirectory(cut),
      (e) => e instanceof DataError && e.message.startsWith(cut) && /truncated/.test(e.message),
      `cut at ${keep}`,
    );
  }
  await assert.rejects(
    readZipDirectory(`${dir.path}/absent.npz`),
    (e) => e instanceof DataError && /file not found/.test(e.message),
  );
});

Deno.test("a corrupt directory offset is a DataError, not a crash", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/params.npz`;
  await writeNpz(path, gemmaScopeArrays(4, 8));
  const bytes = await Deno.readFile(path);
  const eocd = bytes.length - 22;
  new DataView(bytes.buffer).setUint32(eocd + 16, bytes.length, true); // directory offset past the end
  await Deno.writeFile(path, bytes);
  await assert.rejects(
    readZipDirectory(path),
    (e) => e instanceof DataError && /central directory .* runs past the end record/.test(e.message),
  );
});
