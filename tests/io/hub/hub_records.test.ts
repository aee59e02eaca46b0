/** The Hub path end to end: a dataset id in, typed records out, through the local fake Hub; then offline from cache. */
import assert from "node:assert/strict";
import { parquetWriteBuffer } from "hyparquet-writer";
import { openTextDataset } from "@saeflow/io";
import { tempDir } from "../../helpers.ts";
import { hubHandler, testOptions, TestServer } from "./fake_hub.ts";

/** A Parquet file shaped like the Hub's conversion of a ClassLabel dataset (int64 labels, names in metadata). */
function convertedSplit(texts: string[], labels: number[]): Uint8Array<ArrayBuffer> {
  const features = { text: { dtype: "string", _type: "Value" }, label: { names: ["neg", "pos"], _type: "ClassLabel" } };
  return new Uint8Array(parquetWriteBuffer({
    columnData: [
      { name: "text", data: texts, type: "STRING" },
      { name: "label", data: labels.map(BigInt), type: "INT64" },
    ],
    kvMetadata: [{ key: "huggingface", value: JSON.stringify({ info: { features } }) }],
  }));
}

Deno.test("openTextDataset reads a Hub split (two files) with ClassLabel names, then again offline from the cache", async () => {
  await using cache = await tempDir();
  const train = [convertedSplit(["great", "awful"], [1, 0]), convertedSplit(["fine"], [1])];
  await using hub = new TestServer(hubHandler({ "org/reviews": { default: { train } } }));
  const spec = (offline: boolean) => ({
    sources: [{ hub: { id: "org/reviews", split: "train" } }],
    fields: { text: "text", label: "label" },
    hub: testOptions(hub.url, cache.path, { offline }).options,
  });
  const online = await openTextDataset(spec(false));
  const records = await Array.fromAsync(online.records);
  assert.deepEqual(records.map((r) => [r.id, r.text, r.label, r.split]), [
    ["train/0:0", "great", "pos", "train"],
    ["train/0:1", "awful", "neg", "train"],
    ["train/1:0", "fine", "pos", "train"],
  ]);
  assert.equal(online.opened[0].name, "hf:org/reviews/default/train");
  assert.equal(online.opened[0].files.length, 2);
  const requests = hub.requests.length;
  const offline = await Array.fromAsync((await openTextDataset(spec(true))).records);
  assert.deepEqual(offline, records);
  assert.equal(hub.requests.length, requests, "the offline run made no request");
});
