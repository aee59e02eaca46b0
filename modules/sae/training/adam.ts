/**
 * Adam (Kingma & Ba), optionally with decoupled weight decay (AdamW, Loshchilov & Hutter; PyTorch's
 * `torch.optim.AdamW`), over named tfjs tensors, with its moments in the open so a checkpoint can save and restore
 * them exactly (tfjs's own optimizers keep them in variables with generated names). The SAE trainer and the
 * language-model trainer both take their steps here.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Adam's hyperparameters. */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled decay per unit of learning rate: `p ← p · (1 − lr · weightDecay)` before the Adam step (default 0). */
  weightDecay?: number;
  /** Which parameters decay (by name); default all. */
  decays?: (name: string) => boolean;
}

/**
 * Adam's state: the step count and the first and second moments of each parameter. Call {@link Adam.dispose} when
 * done.
 *
 * @example
 * ```ts
 * const adam = Adam.zeros({ beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 }, model.variables);
 * adam.updateVariables(model.variables, grads, 1e-3); // disposes the gradients
 * ```
 */
export class Adam {
  constructor(
    readonly options: AdamOptions,
    /** Updates taken so far. */
    public steps: number,
    readonly m: Map<string, tf.Tensor>,
    readonly v: Map<string, tf.Tensor>,
  ) {}

  /** Fresh state (zero moments) for `params`. */
  static zeros(options: AdamOptions, params: Readonly<Record<string, tf.Tensor>>): Adam {
    const zeros = () => new Map(Object.entries(params).map(([name, p]) => [name, tf.zerosLike(p)]));
    return new Adam(options, 0, zeros(), zeros());
  }

  /**
   * One bias-corrected step at learning rate `lr`: returns the updated parameters, and disposes the old parameters,
   * the moments it replaces and the gradients (each as soon as it is used: at d_model 2304 × 16k latents a matrix is
   * 170 MB, and tfjs-wasm's heap stops at 4 GiB).
   */
  update(
    params: Readonly<Record<string, tf.Tensor>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
  ): Record<string, tf.Tensor> {
    this.steps++;
    const updated: Record<string, tf.Tensor> = {};
    for (const [name, p] of Object.entries(params)) {
      updated[name] = this.#next(name, p, grads[name], lr);
      p.dispose();
    }
    return updated;
  }

  /** The same step, assigned into tfjs variables (a model's own); gradients and replaced moments are disposed. */
  updateVariables(
    variables: Readonly<Record<string, tf.Variable>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
  ): void {
    this.steps++;
    for (const [name, p] of Object.entries(variables)) {
      const next = this.#next(name, p, grads[name], lr);
      p.assign(next);
      next.dispose();
    }
  }

  /** Parameter `name`'s new value after this step (`steps` already counts it); moves its moments on. */
  #next(name: string, p: tf.Tensor, g: tf.Tensor, lr: number): tf.Tensor {
    const { beta1, beta2, epsilon, weightDecay = 0, decays = () => true } = this.options;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    // Small tidies, so that no more than a few parameter-sized temporaries live at once.
    const m = tf.tidy(() => this.m.get(name)!.mul(beta1).add(g.mul(1 - beta1)));
    this.m.get(name)!.dispose();
    this.m.set(name, m);
    const v = tf.tidy(() => this.v.get(name)!.mul(beta2).add(g.square().mul(1 - beta2)));
    this.v.get(name)!.dispose();
    this.v.set(name, v);
    g.dispose();
    const shrink = weightDecay > 0 && decays(name) ? 1 - lr * weightDecay : 1;
    const denominator = tf.tidy(() => v.div(correction2).sqrt().add(epsilon));
    const next = tf.tidy(() => (shrink === 1 ? p : p.mul(shrink)).sub(m.mul(lr / correction1).div(denominator)));
    denominator.dispose();
    return next;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/**
 * The learning rate at step `step` (0-based): a linear warm-up from 0 over `warmupSteps`, constant, then a linear
 * decay to 0 over the last `decaySteps` of `totalSteps`.
 */
export function learningRateAt(
  step: number,
  { learningRate, warmupSteps, decaySteps, totalSteps }: {
    learningRate: number;
    warmupSteps: number;
    decaySteps: number;
    totalSteps: number;
  },
): number {
  const warm = warmupSteps > 0 ? Math.min(1, (step + 1) / warmupSteps) : 1;
  const left = totalSteps - step;
  const decay = decaySteps > 0 && left < decaySteps ? Math.max(0, left / decaySteps) : 1;
  return learningRate * warm * decay;
}
