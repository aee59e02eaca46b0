/**
 * Keeping only selected features of an index set (e.g. the top k by mean difference).
 * @module
 */

/**
 * The ids of `active` (ascending) that are in `selected` (any order, e.g. the rank order
 * `selectTopKByMeanDifference` returns), ascending.
 *
 * @example
 * ```ts
 * restrictToFeatures(new Int32Array([1, 4, 9]), new Int32Array([9, 2, 1])); // Int32Array [1, 9]
 * ```
 */
export function restrictToFeatures(active: Int32Array, selected: Int32Array): Int32Array {
  return restrictToSorted(active, Int32Array.from(selected).sort());
}

/** {@linkcode restrictToFeatures} with `selected` already ascending: a merge, O(|active| + |selected|). */
export function restrictToSorted(active: Int32Array, selectedAscending: Int32Array): Int32Array {
  const out = new Int32Array(Math.min(active.length, selectedAscending.length));
  let n = 0;
  for (let i = 0, j = 0; i < active.length && j < selectedAscending.length;) {
    if (active[i] < selectedAscending[j]) i++;
    else if (active[i] > selectedAscending[j]) j++;
    else {
      out[n++] = active[i];
      i++;
      j++;
    }
  }
  return out.slice(0, n);
}
