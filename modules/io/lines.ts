/**
 * Splitting decoded text into numbered lines (`\n` or `\r\n`), for line-oriented formats.
 * @module
 */

/** A line of text without its terminator, and its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * Splits text chunks into lines. Empty lines inside the text are kept (parallel line files stay aligned); a
 * terminator at the very end does not produce an extra empty line.
 *
 * @example
 * ```ts
 * await Array.fromAsync(ReadableStream.from(["a\r\nb", "\n\nc"]).pipeThrough(new LineStream()));
 * // [{ text: "a", line: 1 }, { text: "b", line: 2 }, { text: "", line: 3 }, { text: "c", line: 4 }]
 * ```
 */
export class LineStream extends TransformStream<string, NumberedLine> {
  constructor() {
    let pending: string[] = []; // pieces of a line that has not ended yet: joined once, when it ends (linear time)
    let line = 1;
    const withoutCR = (text: string) => (text.endsWith("\r") ? text.slice(0, -1) : text);
    super({
      transform(chunk, controller) {
        let start = 0;
        for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
          const piece = chunk.slice(start, end);
          const text = pending.length ? pending.join("") + piece : piece;
          pending = [];
          controller.enqueue({ text: withoutCR(text), line: line++ });
          start = end + 1;
        }
        if (start < chunk.length) pending.push(chunk.slice(start));
      },
      flush(controller) {
        const text = pending.join("");
        if (text) controller.enqueue({ text: withoutCR(text), line });
      },
    });
  }
}
