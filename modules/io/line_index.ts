/**
 * Byte offset → line number for a stream read front to back, for parsers that report byte positions but not
 * trustworthy lines (csv-parse counts a CRLF inside a quoted field twice). Only lines not yet passed are kept.
 * @module
 */

/**
 * @example
 * ```ts
 * const lines = new LineIndex();
 * lines.feed(new TextEncoder().encode("a,b\n\n1,2\n"));
 * lines.lineOf(5);               // 3: byte 5 ("1") is on line 3
 * lines.firstContentLineAfter(1); // 3: line 2 is blank
 * ```
 */
export class LineIndex {
  #ends: number[] = []; // byte offset of each kept line's "\n"
  #blank: boolean[] = []; // whether that line holds nothing but "\r"
  #first = 1; // line number of #ends[0]
  #offset = 0; // bytes fed so far
  #contentSinceNewline = false;

  /** Records the newlines of the next bytes of the stream. */
  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x0a) {
        this.#ends.push(this.#offset + i);
        this.#blank.push(!this.#contentSinceNewline);
        this.#contentSinceNewline = false;
      } else if (b !== 0x0d) this.#contentSinceNewline = true;
    }
    this.#offset += bytes.length;
  }

  /** The 1-based line holding byte `offset` (a line's "\n" belongs to it). */
  lineOf(offset: number): number {
    let lo = 0, hi = this.#ends.length; // first kept line whose "\n" is at or after offset
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ends[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return this.#first + lo;
  }

  /** The first line after `line` that is not blank (the line a record after it starts on). */
  firstContentLineAfter(line: number): number {
    let next = line + 1;
    while (next - this.#first < this.#blank.length && next >= this.#first && this.#blank[next - this.#first]) next++;
    return next;
  }

  /** Forgets lines before `line`: callers never ask about them again. */
  release(line: number): void {
    const drop = Math.min(line - this.#first, this.#ends.length);
    if (drop < 1024) return; // splice in batches, not per record
    this.#ends.splice(0, drop);
    this.#blank.splice(0, drop);
    this.#first += drop;
  }
}
