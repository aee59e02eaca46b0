/** The Brown train/validation split: drawn from each sentence id's hash, so stable, disjoint and independent of limit. */
import assert from "node:assert/strict";
import { ConfigError } from "@saeflow/core";
import { splitDraw } from "@saeflow/io";
import { splitBrownSentences } from "@saeflow/lm";

Deno.test("splitBrownSentences: disjoint sides in corpus order, decided by splitDraw of the id; limit keeps sides", async () => {
  const { train, validation } = await splitBrownSentences({ seed: 3, validationFraction: 0.2, limit: 2000 });
  assert.equal(train.length + validation.length, 2000);
  assert.ok(validation.length > 300 && validation.length < 500, `validation ${validation.length} of 2000`);
  assert.ok(validation.every((s) => splitDraw(3, s.id).u < 0.2));
  assert.ok(train.every((s) => splitDraw(3, s.id).u >= 0.2));
  const ids = new Set([...train, ...validation].map((s) => s.id));
  assert.equal(ids.size, 2000);
  const line = (id: string) => Number(id.split(":")[1]);
  for (const side of [train, validation]) {
    for (let i = 1; i < side.length; i++) {
      const [a, b] = [side[i - 1], side[i]];
      assert.ok(a.file < b.file || (a.file === b.file && line(a.id) < line(b.id)), `${a.id} before ${b.id}`);
    }
  }
  const fewer = await splitBrownSentences({ seed: 3, validationFraction: 0.2, limit: 500 });
  const validationIds = new Set(validation.map((s) => s.id));
  assert.ok(fewer.validation.every((s) => validationIds.has(s.id)));
  assert.ok(fewer.train.every((s) => !validationIds.has(s.id)));
  const reseeded = await splitBrownSentences({ seed: 4, validationFraction: 0.2, limit: 2000 });
  assert.notDeepEqual(reseeded.validation.map((s) => s.id), validation.map((s) => s.id));
});

Deno.test("splitBrownSentences: a fraction outside [0, 1) or a bad limit is a ConfigError", async () => {
  await assert.rejects(() => splitBrownSentences({ seed: 0, validationFraction: 1 }), ConfigError);
  await assert.rejects(() => splitBrownSentences({ seed: 0, validationFraction: -0.1 }), ConfigError);
  await assert.rejects(() => splitBrownSentences({ seed: 0, validationFraction: 0.1, limit: 0 }), ConfigError);
});
