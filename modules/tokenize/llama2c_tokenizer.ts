/**
 * The tokenizer of llama2.c models (`tokenizer.bin`, `tok512.bin`): a SentencePiece BPE vocabulary exported as
 * pieces and scores, encoded and decoded exactly as llama2.c's `run.c` does, so that token ids match the ones the
 * model was trained and checked with.
 * @module
 */
import { DataError } from "@saeflow/core";
import { MergeQueue } from "./merge_queue.ts";
import type { EncodeOptions, Tokenizer } from "./tokenizer.ts";

const BOS_ID = 1;
const EOS_ID = 2;
/** Byte `b` falls back to the piece `<0xBB>` at id `b + 3` (after `<unk>`, `<s>`, `</s>`). */
const BYTE_OFFSET = 3;

/** Options of {@link loadLlama2cTokenizer}. */
export interface Llama2cTokenizerOptions {
  /**
   * The model's vocabulary size (its checkpoint header says): the file must hold exactly this many pieces. The file
   * does not store its own count, so without this every piece up to the end of the file is read.
   */
  vocabSize?: number;
  /** Name recorded in metadata; default the path. */
  name?: string;
}

/**
 * Reads a llama2.c tokenizer file: int32 `max_token_length`, then per token a float32 score, an int32 byte length and
 * the piece's bytes (little-endian). A truncated or corrupt file fails with a {@link DataError} naming the file and
 * the byte offset.
 *
 * @example
 * ```ts
 * const tokenizer = await loadLlama2cTokenizer("../shared/models/stories260K/tok512.bin", { vocabSize: 512 });
 * tokenizer.encode("Once upon a time"); // BOS (1), then the BPE pieces
 * ```
 */
export async function loadLlama2cTokenizer(
  path: string,
  options: Llama2cTokenizerOptions = {},
): Promise<Llama2cTokenizer> {
  return Llama2cTokenizer.fromBytes(await Deno.readFile(path), { name: path, ...options });
}

/**
 * A llama2.c tokenizer. Encoding follows `run.c`'s `encode()`: BOS, a dummy-prefix space when the text is not empty,
 * each UTF-8 code point as its piece or else as byte-fallback pieces, then repeatedly the adjacent pair whose merged
 * piece has the best score (the leftmost on ties) is merged. Decoding follows `decode()`: byte pieces become raw bytes,
 * the leading space after BOS is dropped, and the bytes are UTF-8 decoded at the end.
 *
 * @example
 * ```ts
 * const tokenizer = Llama2cTokenizer.fromBytes(await Deno.readFile("tok512.bin"), { name: "tok512.bin" });
 * tokenizer.decode(tokenizer.encode("héllo 🙂")); // "héllo 🙂"
 * ```
 */
export class Llama2cTokenizer implements Tokenizer {
  readonly name: string;
  readonly vocabSize: number;
  readonly bosId: number = BOS_ID;
  readonly eosId: number = EOS_ID;
  /** llama2.c models have no pad token; EOS pads (the mask hides it). */
  readonly padId: number = EOS_ID;
  readonly addsBos: boolean = true;
  /** The longest piece in bytes, as the file header says. */
  readonly maxTokenLength: number;
  /** Each piece's bytes, as stored (`" "` marks a word start, where SentencePiece shows `▁`). */
  readonly pieces: readonly Uint8Array[];
  /** Each piece's merge score (higher merges first). */
  readonly scores: Float32Array;

  /** Piece (as a byte string: one char per byte, so that concatenation is byte concatenation) → id. */
  readonly #ids = new Map<string, number>();
  readonly #keys: string[];
  /** What each id decodes to: byte pieces as their single byte. */
  readonly #bytes: Uint8Array[];
  /** Ids of single-byte code points (ASCII), -1 when absent: the common case, without a Map lookup. */
  readonly #asciiIds = new Int32Array(128).fill(-1);
  readonly #spaceId: number;
  /** Merged id of a pair `left * vocabSize + right` (-1: no such piece), filled as pairs are met. */
  readonly #pairs = new Map<number, number>();
  /** Reused by every encode call (encoding is synchronous, so calls never overlap). */
  readonly #queue = new MergeQueue();

  private constructor(name: string, maxTokenLength: number, pieces: Uint8Array[], scores: Float32Array) {
    this.name = name;
    this.maxTokenLength = maxTokenLength;
    this.pieces = pieces;
    this.scores = scores;
    this.vocabSize = pieces.length;
    this.#keys = pieces.map(byteString);
    // run.c binary-searches a sorted copy, which finds an arbitrary one of duplicate pieces; the lowest id is as good
    for (let id = pieces.length - 1; id >= 0; id--) this.#ids.set(this.#keys[id], id);
    for (let c = 0; c < 128; c++) this.#asciiIds[c] = this.#ids.get(String.fromCharCode(c)) ?? -1;
    this.#spaceId = this.#ids.get(" ")!;
    this.#bytes = pieces.map((piece, id) =>
      id >= BYTE_OFFSET && id < BYTE_OFFSET + 256 ? Uint8Array.of(id - BYTE_OFFSET) : piece
    );
  }

  /**
   * Parses the bytes of a tokenizer file (see {@link loadLlama2cTokenizer}); `name` appears in errors and metadata.
   *
   * @example
   * ```ts
   * const tokenizer = Llama2cTokenizer.fromBytes(bytes, { name: "tok512.bin", vocabSize: 512 });
   * ```
   */
  static fromBytes(bytes: Uint8Array, options: Llama2cTokenizerOptions & { name: string }): Llama2cTokenizer {
    const { name, vocabSize } = options;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fail = (offset: number, problem: string, expected: string): never => {
      throw new DataError(name, {}, `byte offset ${offset}: ${problem}`, expected);
    };
    const format =
      "a llama2.c tokenizer file (int32 max_token_length, then per token: float32 score, int32 length, bytes)";
    if (bytes.length < 4) fail(0, `file of ${bytes.length} bytes has no header`, format);
    const maxTokenLength = view.getInt32(0, true);
    if (maxTokenLength <= 0) fail(0, `max_token_length is ${maxTokenLength}`, `a positive length; ${format}`);
    const pieces: Uint8Array[] = [];
    const scores: number[] = [];
    let offset = 4;
    while (offset < bytes.length && (vocabSize === undefined || pieces.length < vocabSize)) {
      const id = pieces.length;
      if (offset + 8 > bytes.length) {
        fail(offset, `truncated in the header of token ${id} (${bytes.length - offset} of 8 bytes)`, format);
      }
      const score = view.getFloat32(offset, true);
      const length = view.getInt32(offset + 4, true);
      if (Number.isNaN(score)) fail(offset, `token ${id} has a NaN score`, "a number");
      if (length < 0 || length > maxTokenLength) {
        fail(offset + 4, `token ${id} has length ${length}`, `0..${maxTokenLength} (max_token_length)`);
      }
      offset += 8;
      if (offset + length > bytes.length) {
        fail(offset, `truncated in token ${id}: ${length} bytes announced, ${bytes.length - offset} left`, format);
      }
      pieces.push(bytes.slice(offset, offset + length));
      scores.push(score);
      offset += length;
    }
    if (vocabSize !== undefined && pieces.length < vocabSize) {
      fail(offset, `file ends after ${pieces.length} tokens`, `${vocabSize} tokens (the model's vocab_size)`);
    }
    if (vocabSize !== undefined && offset < bytes.length) {
      fail(offset, `${bytes.length - offset} bytes left after ${vocabSize} tokens`, `${vocabSize} tokens exactly`);
    }
    // Encoding relies on these: byte fallback maps byte b to id b + 3, and a non-empty text starts with " ".
    for (let b = 0; b < 256; b++) {
      const want = `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
      const got = pieces[BYTE_OFFSET + b] && byteString(pieces[BYTE_OFFSET + b]);
      if (got !== want) {
        fail(4, `token ${BYTE_OFFSET + b} is ${JSON.stringify(got)}`, `byte-fallback piece "${want}" at id ${b + 3}`);
      }
    }
    if (!pieces.some((p) => p.length === 1 && p[0] === 0x20)) {
      fail(4, `no " " piece`, `a " " piece (llama2.c prefixes every text with a space)`);
    }
    return new Llama2cTokenizer(name, maxTokenLength, pieces, Float32Array.from(scores));
  }

  /** Token ids of `text`: BOS first unless `addSpecialTokens` is false; never EOS (as `run.c` prompts). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const tokens: number[] = [];
    if (options.addSpecialTokens ?? true) tokens.push(BOS_ID);
    if (text.length === 0) return tokens;
    tokens.push(this.#spaceId);
    this.#pushCodePoints(new TextEncoder().encode(text), tokens);
    return this.#merge(tokens);
  }

  /** The text of `ids`: BOS and EOS left out, the space that encoding prefixed dropped, byte pieces joined. */
  decode(ids: readonly number[]): string {
    const parts: Uint8Array[] = [];
    let size = 0;
    let start = true; // at the start, or right after BOS: where the dummy-prefix space is
    for (const id of ids) {
      if (id === BOS_ID) {
        start = true;
        continue;
      }
      if (id === EOS_ID) continue;
      let bytes = this.#bytes[id];
      if (bytes === undefined) {
        throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
      }
      // the piece, not its bytes: "<0x20>" is a space the text had, never the dummy prefix
      if (start && this.pieces[id][0] === 0x20) bytes = bytes.subarray(1);
      start = false;
      parts.push(bytes);
      size += bytes.length;
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const part of parts) all.set(part, (at += part.length) - part.length);
    return new TextDecoder().decode(all);
  }

  /** Appends one token per UTF-8 code point: its piece, or its bytes as byte-fallback pieces (as `run.c`). */
  #pushCodePoints(utf8: Uint8Array, tokens: number[]): void {
    for (let i = 0; i < utf8.length;) {
      const lead = utf8[i];
      if (lead < 0x80) {
        const id = this.#asciiIds[lead];
        tokens.push(id >= 0 ? id : lead + BYTE_OFFSET);
        i++;
        continue;
      }
      // a lead byte and up to 3 continuation bytes (10xxxxxx) form one code point, as run.c groups them
      let end = i + 1;
      while (end < utf8.length && end - i < 4 && (utf8[end] & 0xc0) === 0x80) end++;
      const id = this.#ids.get(String.fromCharCode(...utf8.subarray(i, end)));
      if (id !== undefined) tokens.push(id);
      else for (let j = i; j < end; j++) tokens.push(utf8[j] + BYTE_OFFSET);
      i = end;
    }
  }

  /** The merged piece of a pair, or -1. */
  #pair(left: number, right: number): number {
    const key = left * this.vocabSize + right;
    let id = this.#pairs.get(key);
    if (id === undefined) {
      id = this.#ids.get(this.#keys[left] + this.#keys[right]) ?? -1;
      this.#pairs.set(key, id);
    }
    return id;
  }

  /**
   * run.c's merge loop (merge the best-scoring adjacent pair, the leftmost on ties, until none is a piece) without its
   * rescans: the tokens become a linked list and candidate pairs wait in a priority queue, so a text of n tokens
   * costs O(n log n) instead of O(n²). A merge changes two nodes; candidates that involve either are skipped as stale.
   */
  #merge(tokens: number[]): number[] {
    const n = tokens.length;
    if (n < 2) return tokens;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const version = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1; // n: no next node
      prev[i] = i - 1;
    }
    const queue = this.#queue;
    queue.reset(3 * n); // n - 1 pairs, then at most 2 new ones per merge
    const offer = (left: number) => {
      const right = next[left];
      if (right >= n) return;
      const merged = this.#pair(tokens[left], tokens[right]);
      // run.c starts its search at a best score of -1e10: a pair scoring no better never merges
      if (merged !== -1 && this.scores[merged] > -1e10) {
        queue.push(this.scores[merged], left, merged, version[left], version[right]);
      }
    };
    for (let i = 0; i < n - 1; i++) offer(i);
    for (let slot = queue.pop(); slot !== -1; slot = queue.pop()) {
      const left = queue.left[slot];
      const right = next[left];
      if (version[left] !== queue.leftVersion[slot] || right >= n || version[right] !== queue.rightVersion[slot]) {
        continue;
      }
      tokens[left] = queue.merged[slot];
      version[left]++;
      version[right]++;
      const after = next[right];
      next[left] = after;
      if (after < n) prev[after] = left;
      if (prev[left] >= 0) offer(prev[left]);
      offer(left);
    }
    // node 0 is never merged away (only right nodes are), so the list starts there
    const out: number[] = [];
    for (let i = 0; i < n; i = next[i]) out.push(tokens[i]);
    return out;
  }
}

/** Bytes as a string of one char (U+0000..U+00FF) per byte: an exact, cheap Map key. */
function byteString(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}
