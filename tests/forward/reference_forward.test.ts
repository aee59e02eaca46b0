/**
 * Sanity tests of the independent reference forward pass (tests/forward/reference/), with no project code involved:
 * padding invariance, sliding-window reach, attention / final softcaps, GQA head grouping, a hand-computed layer and a
 * stdlib-only Python re-implementation of the Hugging Face llama / gemma2 semantics.
 */
import assert from "node:assert/strict";
import { python, tempDir } from "../helpers.ts";
import {
  type Checkpoint,
  gemma2Config,
  type HfConfig,
  llamaConfig,
  randomCheckpoint,
} from "./reference/random_checkpoint.ts";
import { referenceForward, type ReferenceOutput } from "./reference/reference_forward.ts";

/** Vector at (b, t) of a [B, T, W] tensor. */
function at(x: Float32Array, T: number, W: number, b: number, t: number): number[] {
  return Array.from(x.subarray((b * T + t) * W, (b * T + t + 1) * W));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function randomIds(n: number, vocab: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return 3 + ((s >>> 8) % (vocab - 3));
  });
}

/** All per-position outputs of row `b` at positions [0, n), for exact comparisons. */
function rowOutputs(out: ReferenceOutput, b: number, n: number): number[][][] {
  const { seq: T, hidden: D, vocab: V } = out;
  const perPos = (x: Float32Array, W: number) => Array.from({ length: n }, (_, t) => at(x, T, W, b, t));
  return [
    ...out.hiddenStates.map((x) => perPos(x, D)),
    ...out.attnOut.map((x) => perPos(x, D)),
    ...out.mlpOut.map((x) => perPos(x, D)),
    perPos(out.finalNorm, D),
    perPos(out.logits, V),
  ];
}

Deno.test("randomCheckpoint: HF names and shapes, deterministic, lm_head only when untied", () => {
  const llama = llamaConfig();
  const ck = randomCheckpoint(llama, 7);
  assert.deepEqual(ck.get("model.embed_tokens.weight")!.shape, [128, 64]);
  assert.deepEqual(ck.get("model.layers.1.self_attn.q_proj.weight")!.shape, [64, 64]);
  assert.deepEqual(ck.get("model.layers.1.self_attn.k_proj.weight")!.shape, [32, 64]);
  assert.deepEqual(ck.get("model.layers.0.mlp.down_proj.weight")!.shape, [64, 128]);
  assert.deepEqual(ck.get("lm_head.weight")!.shape, [128, 64]);
  assert.ok(!ck.has("model.layers.0.pre_feedforward_layernorm.weight"));
  assert.equal(ck.size, 1 + 2 * 9 + 2);
  assert.deepEqual(randomCheckpoint(llama, 7), ck);
  assert.notDeepEqual(randomCheckpoint(llama, 8).get("model.norm.weight"), ck.get("model.norm.weight"));
  // llama norms around 1
  const norm = ck.get("model.norm.weight")!.data;
  assert.ok(Math.abs(norm.reduce((a, b) => a + b, 0) / norm.length - 1) < 0.1);

  const gemma = gemma2Config();
  const gk = randomCheckpoint(gemma, 7);
  assert.ok(!gk.has("lm_head.weight"));
  assert.deepEqual(gk.get("model.layers.0.self_attn.q_proj.weight")!.shape, [128, 64]);
  assert.deepEqual(gk.get("model.layers.0.self_attn.v_proj.weight")!.shape, [64, 64]);
  assert.deepEqual(gk.get("model.layers.0.self_attn.o_proj.weight")!.shape, [64, 128]);
  assert.ok(gk.has("model.layers.1.pre_feedforward_layernorm.weight"));
  assert.ok(gk.has("model.layers.1.post_feedforward_layernorm.weight"));
  assert.equal(gk.size, 1 + 2 * 11 + 1);
  // gemma norms around 0 (used as 1 + w); tying does not shift the other tensors' streams
  const gnorm = gk.get("model.norm.weight")!.data;
  assert.ok(Math.abs(gnorm.reduce((a, b) => a + b, 0) / gnorm.length) < 0.1);
  const untied = randomCheckpoint(gemma2Config({ tie_word_embeddings: false }), 7);
  assert.ok(untied.has("lm_head.weight"));
  assert.deepEqual(untied.get("model.layers.1.mlp.up_proj.weight"), gk.get("model.layers.1.mlp.up_proj.weight"));
});

for (
  const [name, config] of [
    ["llama", llamaConfig()],
    ["gemma2", gemma2Config({ sliding_window: 3 })],
  ] as const
) {
  Deno.test(`${name}: a short row's real-token outputs are identical alone and right-padded next to a longer row`, () => {
    const weights = randomCheckpoint(config, 1);
    const short = randomIds(5, config.vocab_size, 1);
    const long = randomIds(9, config.vocab_size, 2);
    const alone = referenceForward(config, weights, [short], [short.map(() => 1)]);
    const longAlone = referenceForward(config, weights, [long], [long.map(() => 1)]);
    const pad = config.pad_token_id!;
    const batched = referenceForward(
      config,
      weights,
      [long, [...short, pad, pad, pad, pad]],
      [long.map(() => 1), [1, 1, 1, 1, 1, 0, 0, 0, 0]],
    );
    assert.deepEqual(rowOutputs(batched, 1, 5), rowOutputs(alone, 0, 5));
    assert.deepEqual(rowOutputs(batched, 0, 9), rowOutputs(longAlone, 0, 9));
    // the pad token's identity does not leak into real positions either
    const otherPad = referenceForward(
      config,
      weights,
      [long, [...short, 5, 6, 7, 8]],
      [long.map(() => 1), [1, 1, 1, 1, 1, 0, 0, 0, 0]],
    );
    assert.deepEqual(rowOutputs(otherPad, 1, 5), rowOutputs(alone, 0, 5));
    for (const x of [...batched.hiddenStates, batched.logits]) assert.ok(x.every(Number.isFinite));
  });

  Deno.test(`${name}: residual bookkeeping: resid_post = resid_pre + attn_out + mlp_out, hidden_states layout`, () => {
    const weights = randomCheckpoint(config, 3);
    const ids = [randomIds(7, config.vocab_size, 3), randomIds(7, config.vocab_size, 4)];
    const out = referenceForward(config, weights, ids, ids.map((r) => r.map(() => 1)));
    assert.equal(out.hiddenStates.length, config.num_hidden_layers + 1);
    for (let l = 0; l < config.num_hidden_layers; l++) {
      assert.equal(out.residPre[l], out.hiddenStates[l]);
      assert.equal(out.residPost[l], out.hiddenStates[l + 1]);
      const sum = out.residPre[l].map((x, i) => x + out.attnOut[l][i] + out.mlpOut[l][i]);
      assert.ok(maxAbsDiff(sum, out.residPost[l]) < 1e-5);
      // activations are O(1)
      const rms = Math.sqrt(out.residPost[l].reduce((a, x) => a + x * x, 0) / out.residPost[l].length);
      assert.ok(rms > 0.3 && rms < 10, `rms ${rms}`);
    }
    // embeddings: llama = embed row; gemma2 = embed row * float32(sqrt(hidden))
    const E = weights.get("model.embed_tokens.weight")!.data;
    const D = config.hidden_size;
    const scale = config.model_type === "gemma2" ? Math.fround(Math.sqrt(D)) : 1;
    const row = Array.from(E.subarray(ids[1][2] * D, (ids[1][2] + 1) * D), (x) => Math.fround(x * scale));
    assert.deepEqual(at(out.hiddenStates[0], 7, D, 1, 2), row);
  });
}

Deno.test("gemma2 sliding window 4: token 0 reaches layer 0 only up to position 3, layer 1 (global) everywhere", () => {
  const config = gemma2Config({ sliding_window: 4 });
  const weights = randomCheckpoint(config, 5);
  const ids = randomIds(10, config.vocab_size, 9);
  const changed = [ids[0] === 3 ? 4 : 3, ...ids.slice(1)];
  const m = [ids.map(() => 1)];
  const a = referenceForward(config, weights, [ids], m);
  const b = referenceForward(config, weights, [changed], m);
  const D = config.hidden_size;
  for (let t = 0; t < 10; t++) {
    const same = maxAbsDiff(at(a.residPost[0], 10, D, 0, t), at(b.residPost[0], 10, D, 0, t)) === 0;
    assert.equal(same, t >= 4, `layer 0 position ${t}`);
  }
  assert.ok(maxAbsDiff(at(a.residPost[1], 10, D, 0, 9), at(b.residPost[1], 10, D, 0, 9)) > 1e-4);
  // layer_types (newer HF configs) override the even/odd rule: an all-global model lets token 0 reach position 9
  const global = gemma2Config({ sliding_window: 4, layer_types: ["full_attention", "full_attention"] });
  const ga = referenceForward(global, weights, [ids], m);
  const gb = referenceForward(global, weights, [changed], m);
  assert.ok(maxAbsDiff(at(ga.residPost[0], 10, D, 0, 9), at(gb.residPost[0], 10, D, 0, 9)) > 1e-4);
  // and llama never slides
  const llama = llamaConfig({ sliding_window: 4 });
  const lw = randomCheckpoint(llama, 5);
  const la = referenceForward(llama, lw, [ids], m);
  const lb = referenceForward(llama, lw, [changed], m);
  assert.ok(maxAbsDiff(at(la.residPost[0], 10, D, 0, 9), at(lb.residPost[0], 10, D, 0, 9)) > 1e-4);
});

Deno.test("gemma2 attention softcap: large q/k logits are squashed to tanh(s/50)*50 before masking", () => {
  const config = gemma2Config({ sliding_window: 4 });
  const weights = randomCheckpoint(config, 11, { scale: { q: 6, k: 6 } });
  const ids = [randomIds(12, config.vocab_size, 1), randomIds(12, config.vocab_size, 2)];
  const mask = [ids[0].map(() => 1), ids[1].map((_, t) => (t < 8 ? 1 : 0))];
  const out = referenceForward(config, weights, ids, mask, { captureAttention: true });
  let maxRaw = 0;
  let maxCapped = 0;
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const raw = out.attnRawScores![l];
    const capped = out.attnScores![l];
    for (let i = 0; i < raw.length; i++) {
      maxRaw = Math.max(maxRaw, Math.abs(raw[i]));
      maxCapped = Math.max(maxCapped, Math.abs(capped[i]));
      assert.ok(Math.abs(capped[i] - Math.fround(Math.tanh(raw[i] / 50) * 50)) < 1e-4);
    }
    // probabilities: rows over allowed keys sum to 1, masked keys get exactly 0
    const T = 12;
    const H = config.num_attention_heads;
    const sliding = l % 2 === 0;
    for (let b = 0; b < 2; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          let sum = 0;
          let anyAllowed = false;
          for (let j = 0; j < T; j++) {
            const p = out.attnProbs![l][((b * H + h) * T + i) * T + j];
            const allowed = j <= i && mask[b][j] === 1 && (!sliding || i - j < 4);
            if (!allowed) assert.equal(p, 0);
            anyAllowed ||= allowed;
            sum += p;
          }
          // a pad query whose whole window is padding (row 1, i >= 11 on sliding layers) attends to nothing
          assert.ok(Math.abs(sum - (anyAllowed ? 1 : 0)) < 1e-5);
        }
      }
    }
  }
  assert.ok(out.hiddenStates.every((x) => x.every(Number.isFinite)) && out.logits.every(Number.isFinite));
  assert.ok(maxRaw > 100, `raw attention logits only reach ${maxRaw}`);
  assert.ok(maxCapped <= 50 && maxCapped > 45, `capped max ${maxCapped}`);
  // the cap matters: without it the outputs differ
  const uncapped = referenceForward({ ...config, attn_logit_softcapping: null }, weights, ids, mask);
  assert.ok(maxAbsDiff(uncapped.residPost[1], out.residPost[1]) > 1e-3);
  // llama has no attention softcap at all
  const llama = llamaConfig({ attn_logit_softcapping: 50 });
  const lout = referenceForward(llama, randomCheckpoint(llama, 11, { scale: { q: 6, k: 6 } }), ids, mask, {
    captureAttention: true,
  });
  assert.deepEqual(lout.attnScores, lout.attnRawScores);
});

Deno.test("gemma2 final softcap: logits = tanh(finalNorm . E / 30) * 30", () => {
  const config = gemma2Config();
  const weights = randomCheckpoint(config, 13, { scale: { embed: 25 } });
  const ids = [randomIds(6, config.vocab_size, 3)];
  const out = referenceForward(config, weights, ids, [ids[0].map(() => 1)]);
  const E = weights.get("model.embed_tokens.weight")!.data;
  const { hidden: D, vocab: V } = out;
  let maxRaw = 0;
  for (let t = 0; t < 6; t++) {
    const h = at(out.finalNorm, 6, D, 0, t);
    for (let v = 0; v < V; v++) {
      let raw = 0;
      for (let d = 0; d < D; d++) raw += h[d] * E[v * D + d];
      maxRaw = Math.max(maxRaw, Math.abs(raw));
      assert.ok(Math.abs(out.logits[t * V + v] - Math.tanh(raw / 30) * 30) < 1e-4);
    }
  }
  assert.ok(maxRaw > 60, `raw logits only reach ${maxRaw}`);
  assert.ok(out.logits.every((x) => Math.abs(x) <= 30));
  const noCap = referenceForward({ ...config, final_logit_softcapping: null }, weights, ids, [ids[0].map(() => 1)]);
  assert.ok(noCap.logits.some((x) => Math.abs(x) > 30));
  assert.deepEqual(noCap.finalNorm, out.finalNorm);
});

Deno.test("GQA: kv head j serves query heads j*G .. j*G+G-1 (same as an MHA model with repeat_interleave'd k/v)", () => {
  for (const config of [llamaConfig(), gemma2Config({ sliding_window: 3 })]) {
    const gqa = randomCheckpoint(config, 17);
    const H = config.num_attention_heads;
    const KV = config.num_key_value_heads!;
    const hd = config.head_dim!;
    const D = config.hidden_size;
    const mha: Checkpoint = new Map(gqa);
    for (let l = 0; l < config.num_hidden_layers; l++) {
      for (const p of ["k", "v"]) {
        const name = `model.layers.${l}.self_attn.${p}_proj.weight`;
        const src = gqa.get(name)!.data;
        const dst = new Float32Array(H * hd * D);
        for (let h = 0; h < H; h++) {
          const j = Math.floor(h / (H / KV));
          dst.set(src.subarray(j * hd * D, (j + 1) * hd * D), h * hd * D);
        }
        mha.set(name, { data: dst, shape: [H * hd, D] });
      }
    }
    const ids = [randomIds(8, config.vocab_size, 5)];
    const m = [ids[0].map(() => 1)];
    const a = referenceForward(config, gqa, ids, m);
    const b = referenceForward({ ...config, num_key_value_heads: H }, mha, ids, m);
    assert.deepEqual(a.logits, b.logits);
    assert.deepEqual(a.hiddenStates, b.hiddenStates);
  }
});

Deno.test("hand-computed llama layer: D=2, one head, one token", () => {
  const config = llamaConfig({
    hidden_size: 2,
    intermediate_size: 1,
    num_hidden_layers: 1,
    num_attention_heads: 1,
    num_key_value_heads: 1,
    vocab_size: 2,
    rms_norm_eps: 0,
  });
  const t = (data: number[], shape: number[]) => ({ data: new Float32Array(data), shape });
  const weights: Checkpoint = new Map([
    ["model.embed_tokens.weight", t([1, -1, 3, 4], [2, 2])],
    ["model.layers.0.input_layernorm.weight", t([1, 1], [2])],
    ["model.layers.0.self_attn.q_proj.weight", t([5, 6, 7, 8], [2, 2])], // irrelevant: one key, softmax = 1
    ["model.layers.0.self_attn.k_proj.weight", t([1, 2, 3, 4], [2, 2])],
    ["model.layers.0.self_attn.v_proj.weight", t([2, 0, 0, 1], [2, 2])],
    ["model.layers.0.self_attn.o_proj.weight", t([1, 1, 0, 1], [2, 2])],
    ["model.layers.0.post_attention_layernorm.weight", t([1, 0.5], [2])],
    ["model.layers.0.mlp.gate_proj.weight", t([1, 0], [1, 2])],
    ["model.layers.0.mlp.up_proj.weight", t([0, 2], [1, 2])],
    ["model.layers.0.mlp.down_proj.weight", t([1, 2], [2, 1])],
    ["model.norm.weight", t([1, 2], [2])],
    ["lm_head.weight", t([1, 0, 1, 1], [2, 2])],
  ]);
  const out = referenceForward(config, weights, [[0]], [[1]]);
  // x = [1, -1]; rms 1 -> h = [1, -1]; v = [2, -1]; attn = o(v) = [1, -1]; x = [2, -2]
  assert.deepEqual(Array.from(out.attnOut[0]), [1, -1]);
  // rms([2, -2]) = 2 -> h2 = [1, -1] * [1, 0.5] = [1, -0.5]; gate = 1, up = -1; silu(1) * -1 = -sigmoid(1)
  const s = 1 / (1 + Math.exp(-1));
  const mlp = [-s, -2 * s];
  assert.ok(maxAbsDiff(out.mlpOut[0], mlp) < 1e-7);
  const x = [2 - s, -2 - 2 * s];
  assert.ok(maxAbsDiff(out.hiddenStates[1], x) < 1e-6);
  const r = 1 / Math.sqrt((x[0] ** 2 + x[1] ** 2) / 2);
  const n = [x[0] * r, 2 * x[1] * r];
  assert.ok(maxAbsDiff(out.finalNorm, n) < 1e-6);
  assert.ok(maxAbsDiff(out.logits, [n[0], n[0] + n[1]]) < 1e-6);
});

/** Stdlib-only Python re-implementation of HF LlamaModel / Gemma2Model eager forward (float64, with HF's float32 RoPE tables). */
const PY_REFERENCE = String.raw`
import json, math, struct, sys
with open(sys.argv[1]) as f:
    cfg, W, ids, mask = json.load(f)

def f32(x):
    return struct.unpack('f', struct.pack('f', x))[0]

def mat(name):
    t = W[name]
    r, c = t['shape']
    return [t['data'][i * c:(i + 1) * c] for i in range(r)]

def matvec(m, x):
    return [sum(a * b for a, b in zip(row, x)) for row in m]

gemma = cfg['model_type'] == 'gemma2'
D = cfg['hidden_size']; H = cfg['num_attention_heads']; KV = cfg['num_key_value_heads']
hd = cfg.get('head_dim') or D // H
eps = cfg['rms_norm_eps']
scaling = (cfg['query_pre_attn_scalar'] if gemma else hd) ** -0.5
soft = cfg.get('attn_logit_softcapping') if gemma else None
final_soft = cfg.get('final_logit_softcapping') if gemma else None
theta = cfg.get('rope_theta', 10000.0)
inv_freq = [f32(1.0 / f32(theta ** f32(i / hd))) for i in range(0, hd, 2)]
NEG = -1e300

def rmsnorm(x, w):
    var = sum(v * v for v in x) / len(x)
    r = 1.0 / math.sqrt(var + eps)
    return [v * r * ((1.0 + g) if gemma else g) for v, g in zip(x, w)]

def act(x):
    if gemma:
        return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return x / (1.0 + math.exp(-x))

def rotate_half(v):
    h = len(v) // 2
    return [-a for a in v[h:]] + v[:h]

def rope(v, pos):
    emb = [f32(f * pos) for f in inv_freq] * 2
    cos = [f32(math.cos(e)) for e in emb]
    sin = [f32(math.sin(e)) for e in emb]
    rh = rotate_half(v)
    return [a * c + b * s for a, c, b, s in zip(v, cos, rh, sin)]

E = mat('model.embed_tokens.weight')
lm = E if cfg['tie_word_embeddings'] else mat('lm_head.weight')
T = len(ids[0])
hidden = [[] for _ in range(cfg['num_hidden_layers'] + 1)]
final_norm = []
logits = []
for row, m in zip(ids, mask):
    x = [[f32(v * f32(D ** 0.5)) if gemma else v for v in E[tok]] for tok in row]
    hidden[0].append(x)
    for l in range(cfg['num_hidden_layers']):
        p = 'model.layers.%d.' % l
        # additive 4D-style mask: causal + padding, plus tril(diagonal=-window) on sliding layers
        add = [[0.0 if (j <= i and m[j] == 1) else NEG for j in range(T)] for i in range(T)]
        if gemma and l % 2 == 0 and cfg.get('sliding_window'):
            w = cfg['sliding_window']
            add = [[NEG if j <= i - w else add[i][j] for j in range(T)] for i in range(T)]
        h = [rmsnorm(v, W[p + 'input_layernorm.weight']['data']) for v in x]
        q = [matvec(mat(p + 'self_attn.q_proj.weight'), v) for v in h]
        k = [matvec(mat(p + 'self_attn.k_proj.weight'), v) for v in h]
        vv = [matvec(mat(p + 'self_attn.v_proj.weight'), v) for v in h]
        qh = [[rope(q[t][n * hd:(n + 1) * hd], t) for n in range(H)] for t in range(T)]
        kh = [[rope(k[t][n * hd:(n + 1) * hd], t) for n in range(KV)] for t in range(T)]
        vh = [[vv[t][n * hd:(n + 1) * hd] for n in range(KV)] for t in range(T)]
        ctx = [[0.0] * (H * hd) for _ in range(T)]
        for n in range(H):
            g = n // (H // KV)
            for i in range(T):
                s = [sum(a * b for a, b in zip(qh[i][n], kh[j][g])) * scaling for j in range(T)]
                if soft is not None:
                    s = [math.tanh(v / soft) * soft for v in s]
                s = [v + a for v, a in zip(s, add[i])]
                mx = max(s)
                e = [math.exp(v - mx) if v > NEG / 2 else 0.0 for v in s]
                z = sum(e)
                if z == 0.0:
                    continue  # fully masked (pad) query: zero output, as the TS reference documents
                for j in range(T):
                    for d in range(hd):
                        ctx[i][n * hd + d] += e[j] / z * vh[j][g][d]
        a = [matvec(mat(p + 'self_attn.o_proj.weight'), c) for c in ctx]
        if gemma:
            a = [rmsnorm(v, W[p + 'post_attention_layernorm.weight']['data']) for v in a]
        x = [[u + v for u, v in zip(r1, r2)] for r1, r2 in zip(x, a)]
        nw = W[p + ('pre_feedforward_layernorm.weight' if gemma else 'post_attention_layernorm.weight')]['data']
        h2 = [rmsnorm(v, nw) for v in x]
        gate = [matvec(mat(p + 'mlp.gate_proj.weight'), v) for v in h2]
        up = [matvec(mat(p + 'mlp.up_proj.weight'), v) for v in h2]
        mo = [matvec(mat(p + 'mlp.down_proj.weight'), [act(a1) * b1 for a1, b1 in zip(g1, u1)]) for g1, u1 in zip(gate, up)]
        if gemma:
            mo = [rmsnorm(v, W[p + 'post_feedforward_layernorm.weight']['data']) for v in mo]
        x = [[u + v for u, v in zip(r1, r2)] for r1, r2 in zip(x, mo)]
        hidden[l + 1].append(x)
    fn = [rmsnorm(v, W['model.norm.weight']['data']) for v in x]
    final_norm.append(fn)
    lg = [matvec(lm, v) for v in fn]
    if final_soft is not None:
        lg = [[math.tanh(v / final_soft) * final_soft for v in r] for r in lg]
    logits.append(lg)
print(json.dumps({'hidden': hidden, 'final_norm': final_norm, 'logits': logits}))
`;

async function compareWithPython(config: HfConfig, weights: Checkpoint, ids: number[][], mask: number[][]) {
  await using dir = await tempDir();
  const payload = `${dir.path}/payload.json`; // a file: the weights overflow one argv string
  await Deno.writeTextFile(
    payload,
    JSON.stringify([
      config,
      Object.fromEntries([...weights].map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }])),
      ids,
      mask,
    ]),
  );
  const py = await python<{ hidden: number[][][][]; final_norm: number[][][]; logits: number[][][] }>(
    PY_REFERENCE,
    payload,
  );
  const out = referenceForward(config, weights, ids, mask);
  const close = (ours: Float32Array, theirs: number[][][], what: string) => {
    const flat = theirs.flat(2);
    assert.equal(ours.length, flat.length, what);
    for (let i = 0; i < flat.length; i++) {
      assert.ok(Math.abs(ours[i] - flat[i]) <= 1e-6 * Math.max(1, Math.abs(flat[i])), `${what}[${i}]`);
    }
  };
  out.hiddenStates.forEach((h, l) => close(h, py.hidden[l], `hidden_states[${l}]`));
  close(out.finalNorm, py.final_norm, "final_norm");
  close(out.logits, py.logits, "logits");
  return out;
}

Deno.test("python (stdlib) llama layer on 3 tokens matches to 1e-6", async () => {
  const config = llamaConfig({
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    vocab_size: 11,
  });
  const weights = randomCheckpoint(config, 21);
  await compareWithPython(config, weights, [[3, 7, 1]], [[1, 1, 1]]);
  // untied GQA llama with a padded batch, 2 layers, a non-default rope_theta
  const config2 = llamaConfig({
    hidden_size: 16,
    intermediate_size: 24,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 13,
    rope_theta: 500000,
  });
  await compareWithPython(config2, randomCheckpoint(config2, 22, { scale: { q: 3, k: 3 } }), [
    [3, 7, 1, 9, 4],
    [5, 2, 0, 0, 0],
  ], [[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]);
});

Deno.test("python (stdlib) gemma2 (softcaps active, sliding window 2, GQA, head_dim != D/H) matches to 1e-6", async () => {
  const config = gemma2Config({
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    query_pre_attn_scalar: 6,
    vocab_size: 13,
    sliding_window: 2,
  });
  const weights = randomCheckpoint(config, 23, { scale: { q: 5, k: 5, embed: 20 } });
  const out = await compareWithPython(config, weights, [
    [3, 7, 1, 9, 4, 12],
    [5, 2, 8, 0, 0, 0],
  ], [[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]);
  assert.ok(out.logits.some((x) => Math.abs(x) > 15), "final softcap not exercised");
  const { attnRawScores } = referenceForward(config, weights, [[3, 7, 1]], [[1, 1, 1]], { captureAttention: true });
  assert.ok(attnRawScores!.some((a) => a.some((x) => Math.abs(x) > 60)), "attention softcap not exercised");
});
