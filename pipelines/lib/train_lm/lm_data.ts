/**
 * The data of `deno task train-lm`: the Brown sentences split into training and validation, a BPE tokenizer trained
 * on the training side only (so validation text never shapes the vocabulary), and both sides packed into rows.
 */
import { ConfigError } from "@saeflow/core";
import { writeFileAtomic } from "@saeflow/io";
import { type PackedSequences, packSequences, splitBrownSentences } from "@saeflow/lm";
import { type BpeTokenizerFiles, type HfTokenizer, loadHfTokenizer, trainBpe } from "@saeflow/tokenize";

/** What the rows are made from. */
export interface LmDataSettings {
  seed: number;
  validationFraction: number;
  limit?: number;
  categories?: string[];
  vocabSize: number;
  seqLen: number;
}

/** The packed rows and the tokenizer they were made with. */
export interface LmData {
  tokenizer: HfTokenizer;
  tokenizerFiles: BpeTokenizerFiles;
  train: PackedSequences;
  validation: PackedSequences;
  sentences: { train: number; validation: number };
}

/**
 * Splits, trains the tokenizer, writes its two files into `folder` (the model folder: they are part of it) and
 * tokenizes with them as loaded back, the way every later reader will tokenize. Checks `signal` every 1024 sentences.
 */
export async function prepareLmData(
  settings: LmDataSettings,
  folder: string,
  signal?: AbortSignal,
): Promise<LmData> {
  const { train, validation } = await splitBrownSentences(settings);
  if (train.length === 0 || validation.length === 0) {
    throw new ConfigError(
      `the split left ${train.length} training and ${validation.length} validation sentences; both need some ` +
        `(raise --limit or change --validation-fraction)`,
    );
  }
  signal?.throwIfAborted();
  const tokenizerFiles = await trainBpe(train.map((s) => s.text), { vocabSize: settings.vocabSize });
  await Deno.mkdir(folder, { recursive: true });
  const text = (s: string) => [new TextEncoder().encode(s)];
  await writeFileAtomic(`${folder}/tokenizer.json`, text(tokenizerFiles.tokenizerJson));
  await writeFileAtomic(`${folder}/tokenizer_config.json`, text(tokenizerFiles.tokenizerConfigJson));
  const tokenizer = await loadHfTokenizer(folder);
  const pack = (sentences: { text: string }[]) =>
    packSequences(
      (function* () {
        for (const [i, { text }] of sentences.entries()) {
          if (i % 1024 === 0) signal?.throwIfAborted();
          yield tokenizer.encode(text, { addSpecialTokens: false });
        }
      })(),
      { seqLen: settings.seqLen, bosId: tokenizer.bosId!, eosId: tokenizer.eosId! },
    );
  const data = {
    tokenizer,
    tokenizerFiles,
    train: pack(train),
    validation: pack(validation),
    sentences: { train: train.length, validation: validation.length },
  };
  if (data.train.count === 0 || data.validation.count === 0) {
    throw new ConfigError(
      `the split packs into ${data.train.count} training and ${data.validation.count} validation rows of ` +
        `${settings.seqLen} tokens; both need some (raise --limit, lower --seq-len)`,
    );
  }
  return data;
}
