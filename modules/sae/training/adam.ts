/**
 * Adam (Kingma & Ba) over named tfjs tensors, with its moments in the open so a checkpoint can save and restore
 * them exactly (tfjs's own optimizer keeps them in variables with generated names).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Adam's hyperparameters. */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Adam's state: the step count and the first and second moments of each parameter. */
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
   * One bias-corrected step at learning rate `lr`: returns the updated parameters and disposes the old ones and the
   * gradients' moments it replaces (not the gradients).
   */
  update(
    params: Readonly<Record<string, tf.Tensor>>,
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
  ): Record<string, tf.Tensor> {
    const { beta1, beta2, epsilon } = this.options;
    this.steps++;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    const updated: Record<string, tf.Tensor> = {};
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      const [m, v, next] = tf.tidy(() => {
        const m = this.m.get(name)!.mul(beta1).add(g.mul(1 - beta1));
        const v = this.v.get(name)!.mul(beta2).add(g.square().mul(1 - beta2));
        const step = m.div(correction1).div(v.div(correction2).sqrt().add(epsilon)).mul(lr);
        return [m, v, p.sub(step)];
      });
      this.m.get(name)!.dispose();
      this.v.get(name)!.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
      p.dispose();
      updated[name] = next;
    }
    return updated;
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
