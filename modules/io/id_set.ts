/**
 * Duplicate-id detection without holding the id strings: an open-addressing set of 64-bit id hashes, kept at most
 * half full, so 16–32 bytes per id (10M ids: a 268 MB table). A false "duplicate" needs a 64-bit collision
 * (p ≈ n² / 2⁶⁵: 3·10⁻⁶ at 10M records).
 * @module
 */

/**
 * @example
 * ```ts
 * const ids = new IdSet();
 * ids.add("a"); // true (new)
 * ids.add("a"); // false (seen before)
 * ```
 */
export class IdSet {
  #slots = new Uint32Array(2 * 1024); // (hi, lo) pairs; (0, 0) marks an empty slot
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `id`; returns false when it was already present. */
  add(id: string): boolean {
    const capacity = this.#slots.length / 2;
    if (2 * (this.#size + 1) > capacity) this.#grow(); // keep the table at most half full
    const [hi, lo] = hash64(id);
    if (this.#insert(hi, lo)) {
      this.#size++;
      return true;
    }
    return false;
  }

  #insert(hi: number, lo: number): boolean {
    const slots = this.#slots;
    const mask = slots.length / 2 - 1;
    for (let i = lo & mask;; i = (i + 1) & mask) {
      const h = slots[2 * i], l = slots[2 * i + 1];
      if (h === 0 && l === 0) {
        slots[2 * i] = hi;
        slots[2 * i + 1] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.#insert(old[i], old[i + 1]);
  }
}

/** Two independent 32-bit lanes (cyrb53's mixing, kept at full 64 bits); never (0, 0). */
function hash64(text: string): [number, number] {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  h1 >>>= 0;
  h2 >>>= 0;
  return h1 === 0 && h2 === 0 ? [0, 1] : [h1, h2];
}
