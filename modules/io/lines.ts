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
    let partial = "";
    let line = 1;
    super({
      transform(chunk, controller) {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        for (const part of parts) {
          controller.enqueue({ text: part.endsWith("\r") ? part.slice(0, -1) : part, line: line++ });
        }
      },
      flush(controller) {
        if (partial) controller.enqueue({ text: partial.endsWith("\r") ? partial.slice(0, -1) : partial, line });
      },
    });
  }
}
