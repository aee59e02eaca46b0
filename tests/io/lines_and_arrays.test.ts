/** Edge cases of the line splitter and the JSON-array splitter: chunk boundaries, BOM, commas, very long records. */
import assert from "node:assert/strict";
import { DataError } from "@saeflow/core";
import { LineStream, readJsonArray } from "@saeflow/io";
import { tempDir } from "../helpers.ts";

async function lines(chunks: string[]) {
  return await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new LineStream()));
}

Deno.test("LineStream: every split of the same text gives the same lines (CRLF across chunks, blank lines kept)", async () => {
  const text = "one\r\ntwo\n\nthree\r\n\r\nfour";
  const expected = ["one", "two", "", "three", "", "four"].map((t, i) => ({ text: t, line: i + 1 }));
  for (let cut = 0; cut <= text.length; cut++) {
    assert.deepEqual(await lines([text.slice(0, cut), text.slice(cut)]), expected);
  }
  assert.deepEqual(await lines([...text]), expected, "one character per chunk");
  assert.deepEqual(await lines(["a\n", "b\n"]), [{ text: "a", line: 1 }, { text: "b", line: 2 }]);
});

Deno.test("LineStream and the JSON-array splitter stay linear on very long records", async () => {
  const time = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  const chunks = (mb: number) => Array.from({ length: mb * 16 }, () => "x".repeat(64 * 1024));
  const small = await time(() => lines(chunks(4)));
  const big = await time(() => lines(chunks(32)));
  assert.ok(
    big < small * 24, // linear: ×8; the quadratic version took ×86
    `a 32 MB line took ${big.toFixed(0)} ms, a 4 MB one ${small.toFixed(0)} ms`,
  );

  await using dir = await tempDir();
  const array = async (mb: number) => {
    const path = `${dir.path}/${mb}.json`;
    await Deno.writeTextFile(path, `[{"text": "${"y".repeat(mb * 2 ** 20)}"}]`);
    return time(async () => Array.fromAsync((await readJsonArray(path)).rows));
  };
  const smallArray = await array(4);
  const bigArray = await array(32);
  assert.ok(
    bigArray < smallArray * 16,
    `a 32 MB element took ${bigArray.toFixed(0)} ms, a 4 MB one ${smallArray.toFixed(0)} ms`,
  );
});

Deno.test("JSON arrays: a BOM is fine; a missing, trailing, leading or doubled comma is named with its line", async () => {
  await using dir = await tempDir();
  const read = async (name: string, text: string) => {
    const path = `${dir.path}/${name}`;
    await Deno.writeTextFile(path, text);
    return (await Array.fromAsync((await readJsonArray(path)).rows)).map((r) => r.fields);
  };
  assert.deepEqual(await read("bom.json", '\ufeff[{"a": 1},\n {"a": 2}]'), [{ a: 1 }, { a: 2 }]);
  const path = `${dir.path}/bare.json`;
  await Deno.writeTextFile(path, '[{"a": [1, {"b": "]}"}]}, 2 , "x",{"c":null}, true]');
  const rows = await Array.fromAsync((await readJsonArray(path)).rows);
  assert.deepEqual(rows.map((r) => [r.row, r.problem?.kind ?? r.fields]), [
    [0, { a: [1, { b: "]}" }] }],
    [1, "not an object"],
    [2, "not an object"],
    [3, { c: null }],
    [4, "not an object"],
  ]);
  assert.match(rows[1].problem!.error.message, /bare\.json:1: array element 1 holds 2; expected a JSON object/);
  const cases: [string, RegExp][] = [
    ['[{"a": 1}\n {"a": 2}]', /:2: no comma between array elements 0 and 1/],
    ['[{"a": 1},\n]', /:2: a comma after array element 0 is followed by \]/],
    ['[, {"a": 1}]', /:1: the array starts with a comma/],
    ['[{"a": 1},,{"a": 2}]', /:1: two commas in a row/],
    ['[{"a": 1}] x', /:1: unexpected content after the closing \]/],
  ];
  for (const [text, pattern] of cases) {
    await assert.rejects(read("bad.json", text), (e) => e instanceof DataError && pattern.test(e.message));
  }
});
