/**
 * `maxFeatures`: each node considers a uniform random subset of `maxFeatures` of the features that vary within it,
 * which is what scikit-learn's BestSplitter ends up with (it draws features in random order, skips constant ones and
 * stops after `max_features` non-constant ones). Every varying feature gets a priority hashed from (seed, node id,
 * feature) and a node keeps the `maxFeatures` smallest: the same subset whatever order features are visited in, and
 * memory bounded by the varying features actually offered, never nodes x maxFeatures up front.
 * @module
 */

/** One node's kept candidates, a max-heap on (priority, feature): the root is the first to drop. */
interface Kept {
  priority: number[];
  feature: number[];
  proxy: number[];
  threshold: number[];
}

/** Collects, for each node of a level, the best split of each varying feature, and keeps the sampled ones. */
export class FeatureSampler {
  readonly #kept: Kept[];

  /** `nodeIds`: the tree's node id of each level node (part of the hash, so a subset depends on the node). */
  constructor(readonly maxFeatures: number, readonly seed: number, readonly nodeIds: Int32Array) {
    this.#kept = Array.from(nodeIds, () => ({ priority: [], feature: [], proxy: [], threshold: [] }));
  }

  /** Offers a feature that varies within node `k`, with its best split there (`proxy` -Infinity: none valid). */
  offer(k: number, feature: number, proxy: number, threshold: number): void {
    const kept = this.#kept[k];
    const priority = hash3(this.seed, this.nodeIds[k], feature);
    const n = kept.priority.length;
    if (n < this.maxFeatures) {
      kept.priority.push(priority), kept.feature.push(feature), kept.proxy.push(proxy), kept.threshold.push(threshold);
      siftUp(kept, n);
    } else if (before(priority, feature, kept.priority[0], kept.feature[0])) {
      kept.priority[0] = priority, kept.feature[0] = feature, kept.proxy[0] = proxy, kept.threshold[0] = threshold;
      siftDown(kept, 0);
    }
  }

  /** Node `k`'s best sampled split (largest proxy, then lowest feature, then lowest threshold), or undefined. */
  best(k: number): { feature: number; threshold: number } | undefined {
    const { feature, proxy, threshold } = this.#kept[k];
    let best = -1;
    for (let i = 0; i < feature.length; i++) {
      if (proxy[i] === -Infinity) continue;
      if (
        best < 0 || proxy[i] > proxy[best] ||
        (proxy[i] === proxy[best] &&
          (feature[i] < feature[best] || (feature[i] === feature[best] && threshold[i] < threshold[best])))
      ) best = i;
    }
    return best < 0 ? undefined : { feature: feature[best], threshold: threshold[best] };
  }
}

function before(p: number, f: number, q: number, g: number): boolean {
  return p < q || (p === q && f < g);
}

function swap(kept: Kept, i: number, j: number): void {
  for (const list of [kept.priority, kept.feature, kept.proxy, kept.threshold]) [list[i], list[j]] = [list[j], list[i]];
}

function siftUp(kept: Kept, i: number): void {
  const { priority: p, feature: f } = kept;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(p[parent], f[parent], p[i], f[i])) return;
    swap(kept, i, parent);
    i = parent;
  }
}

function siftDown(kept: Kept, i: number): void {
  const { priority: p, feature: f } = kept;
  for (;;) {
    let largest = i;
    for (const child of [2 * i + 1, 2 * i + 2]) {
      if (child < p.length && before(p[largest], f[largest], p[child], f[child])) largest = child;
    }
    if (largest === i) return;
    swap(kept, i, largest);
    i = largest;
  }
}

/** A 32-bit hash of three integers (murmur3's finalizer after each), uniform enough to rank features. */
function hash3(a: number, b: number, c: number): number {
  let h = fmix(a ^ 0x9e3779b9);
  h = fmix(h ^ b);
  return fmix(h ^ c) >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
