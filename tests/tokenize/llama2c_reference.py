"""An independent reference for llama2.c's run.c encode(): a direct, unoptimised Python transcription of its
algorithm (byte strings, linear scans), to compare saeflow's token ids against.

Usage: python3 llama2c_reference.py TOKENIZER_BIN TEXTS_JSON  -> prints a JSON list of id lists (BOS included).
"""
import json
import struct
import sys


def load(path):
    data = open(path, "rb").read()
    (max_len,) = struct.unpack_from("<i", data, 0)
    offset, vocab, scores = 4, [], []
    while offset < len(data):
        score, length = struct.unpack_from("<fi", data, offset)
        offset += 8
        vocab.append(data[offset:offset + length])
        scores.append(score)
        offset += length
    return vocab, scores


def encode(text, vocab, scores, index):
    tokens = [1]  # BOS
    raw = text.encode("utf-8")
    if raw:
        tokens.append(index[b" "])  # dummy prefix
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and j - i < 4 and (raw[j] & 0xC0) == 0x80:
            j += 1
        piece = raw[i:j]
        if piece in index:
            tokens.append(index[piece])
        else:
            tokens.extend(b + 3 for b in piece)
        i = j
    while True:
        best = (-1e10, -1, -1)  # score, id, position
        for k in range(len(tokens) - 1):
            merged = index.get(vocab[tokens[k]] + vocab[tokens[k + 1]])
            if merged is not None and scores[merged] > best[0]:
                best = (scores[merged], merged, k)
        if best[2] == -1:
            return tokens
        tokens[best[2]:best[2] + 2] = [best[1]]


vocab, scores = load(sys.argv[1])
index = {}
for i, piece in enumerate(vocab):
    index.setdefault(piece, i)
texts = json.load(open(sys.argv[2], encoding="utf-8"))
print(json.dumps([encode(t, vocab, scores, index) for t in texts]))
