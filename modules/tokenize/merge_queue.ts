/**
 * The priority queue behind BPE merging: candidate merges ordered by score (highest first), then by position
 * (leftmost first), which is the order in which llama2.c's linear rescans would pick them. Typed arrays, reused
 * between calls, so that encoding allocates nothing per candidate.
 * @module
 */

/**
 * A max-heap of merge candidates. Each candidate is a slot holding its score, the left node of the pair, the merged
 * id, and the versions both nodes had when it was pushed (a candidate whose nodes changed since is stale: the caller
 * skips it).
 *
 * @example
 * ```ts
 * const queue = new MergeQueue();
 * queue.reset(8);
 * queue.push(-2, 5, 300, 0, 0);
 * queue.push(-1, 9, 301, 0, 0);
 * queue.pop(); // the slot of the candidate at node 9 (score -1)
 * ```
 */
export class MergeQueue {
  score = new Float64Array(0);
  left = new Int32Array(0);
  merged = new Int32Array(0);
  leftVersion = new Int32Array(0);
  rightVersion = new Int32Array(0);
  #heap = new Int32Array(0);
  #size = 0;
  #slots = 0;

  /** Empties the queue, making room for `capacity` pushes. */
  reset(capacity: number): void {
    if (capacity > this.#heap.length) {
      const size = Math.max(capacity, this.#heap.length * 2);
      this.score = new Float64Array(size);
      this.left = new Int32Array(size);
      this.merged = new Int32Array(size);
      this.leftVersion = new Int32Array(size);
      this.rightVersion = new Int32Array(size);
      this.#heap = new Int32Array(size);
    }
    this.#size = 0;
    this.#slots = 0;
  }

  /** Adds a candidate: merging the pair that starts at node `left` into `merged`, worth `score`. */
  push(score: number, left: number, merged: number, leftVersion: number, rightVersion: number): void {
    const slot = this.#slots++;
    this.score[slot] = score;
    this.left[slot] = left;
    this.merged[slot] = merged;
    this.leftVersion[slot] = leftVersion;
    this.rightVersion[slot] = rightVersion;
    const heap = this.#heap;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(slot, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  /** The slot of the best candidate, removed from the queue; -1 when empty. */
  pop(): number {
    if (this.#size === 0) return -1;
    const heap = this.#heap;
    const top = heap[0];
    const last = heap[--this.#size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.#size) break;
      if (child + 1 < this.#size && this.#before(heap[child + 1], heap[child])) child++;
      if (!this.#before(heap[child], last)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Whether slot `a` comes out before slot `b`: higher score, or the same score further left. */
  #before(a: number, b: number): boolean {
    const sa = this.score[a];
    const sb = this.score[b];
    return sa > sb || (sa === sb && this.left[a] < this.left[b]);
  }
}
