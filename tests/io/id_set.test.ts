import assert from "node:assert/strict";
import { IdSet } from "@saeflow/io";

Deno.test("IdSet: 300k distinct ids through many resizes, no false duplicate; every re-add is caught", () => {
  const ids = new IdSet();
  const names = Array.from({ length: 300_000 }, (_, i) => `train_balanced:${i}`);
  assert.ok(names.every((n) => ids.add(n)), "no distinct id reported as a duplicate");
  assert.equal(ids.size, 300_000);
  assert.ok(names.every((n) => !ids.add(n)), "every repeated id reported");
  assert.equal(ids.size, 300_000);
});

Deno.test("IdSet: ids that differ only in case, order or unicode are distinct; the empty id is an id", () => {
  const ids = new IdSet();
  for (const id of ["ab", "ba", "AB", "a b", "é", "e\u0301", "", "🙂", "🙃"]) assert.ok(ids.add(id), id);
  assert.equal(ids.add(""), false);
});
