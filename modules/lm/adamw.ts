/**
 * AdamW (Loshchilov & Hutter: Adam with decoupled weight decay) over a model's named tfjs variables, with its
 * moments in the open so that a checkpoint saves and restores them bit for bit (tfjs's own optimizers keep theirs in
 * variables with generated names). The update is PyTorch's `torch.optim.AdamW`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** AdamW's hyperparameters. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled decay per unit of learning rate: `p ← p · (1 − lr · weightDecay)` before the Adam step. */
  weightDecay: number;
  /** Which parameters decay (by name); default all. */
  decays?: (name: string) => boolean;
}

/**
 * AdamW's state: updates taken and each parameter's first and second moments. Call {@link AdamW.dispose} when done.
 *
 * @example
 * ```ts
 * const adam = AdamW.zeros({ beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, model.variables);
 * const { loss, grads } = model.lossAndGrads(ids, mask, batch, seqLen);
 * adam.update(model.variables, grads, 1e-3); // disposes the gradients
 * ```
 */
export class AdamW {
  constructor(
    readonly options: AdamWOptions,
    /** Updates taken so far. */
    public steps: number,
    readonly m: Map<string, tf.Tensor>,
    readonly v: Map<string, tf.Tensor>,
  ) {}

  /** Fresh state (zero moments) for `variables`. */
  static zeros(options: AdamWOptions, variables: Readonly<Record<string, tf.Tensor>>): AdamW {
    const zeros = () => new Map(Object.entries(variables).map(([name, p]) => [name, tf.zerosLike(p)]));
    return new AdamW(options, 0, zeros(), zeros());
  }

  /**
   * One bias-corrected step at learning rate `lr`, assigned into `variables`; the gradients (every one of
   * `variables`' names) and the moments replaced are disposed.
   */
  update(
    variables: Readonly<Record<string, tf.Variable>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
  ): void {
    const { beta1, beta2, epsilon, weightDecay, decays = () => true } = this.options;
    this.steps++;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    for (const [name, p] of Object.entries(variables)) {
      const g = grads[name];
      const m = tf.tidy(() => this.m.get(name)!.mul(beta1).add(g.mul(1 - beta1)));
      this.m.get(name)!.dispose();
      this.m.set(name, m);
      const v = tf.tidy(() => this.v.get(name)!.mul(beta2).add(g.square().mul(1 - beta2)));
      this.v.get(name)!.dispose();
      this.v.set(name, v);
      g.dispose();
      const shrink = weightDecay > 0 && decays(name) ? 1 - lr * weightDecay : 1;
      tf.tidy(() => {
        const step = m.mul(lr / correction1).div(v.div(correction2).sqrt().add(epsilon));
        p.assign((shrink === 1 ? p : p.mul(shrink)).sub(step));
      });
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
