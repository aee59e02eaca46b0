/**
 * OWL-QN (Andrew & Gao 2007): L-BFGS on `f(x) + l1·‖x[0 .. l1Count)‖₁`, kept inside one orthant per step so that
 * coordinates land on exact zeros. With `l1 = 0` it is plain L-BFGS (the two extra steps vanish), so one
 * deterministic solver serves L2, L1 and elastic net. No randomness: the same inputs give the same bits.
 * @module
 */
import type { SmoothFunction } from "./objective.ts";

/** Options of {@link minimizeOwlqn}. */
export interface OwlqnOptions {
  /** Weight of the L1 term; 0 for none. */
  l1: number;
  /** The L1 term covers `x[0 .. l1Count)` (the coefficients, not the intercepts). */
  l1Count: number;
  maxIter: number;
  /** Stop when every pseudo-gradient component is at most this in absolute value. */
  tol: number;
  /** Correction pairs kept. */
  history: number;
}

/** Where {@link minimizeOwlqn} stopped. */
export interface OwlqnResult {
  x: Float64Array;
  /** `f(x) + l1·‖x‖₁` there. */
  value: number;
  iterations: number;
  /** The gradient test passed, or the objective stopped moving at floating-point resolution. */
  converged: boolean;
}

/** A relative decrease this small is rounding noise in a sum of many losses: nothing left to gain. */
const STALLED = 1e-14;
/** Armijo's sufficient-decrease constant. */
const ARMIJO = 1e-4;
/** Step halvings before giving up on a direction (2⁻⁶⁰: far below float64 resolution of any useful step). */
const MAX_HALVINGS = 60;

/** Minimises from `x0` (not modified). */
export function minimizeOwlqn(f: SmoothFunction, x0: Float64Array, options: OwlqnOptions): OwlqnResult {
  const { l1, l1Count, maxIter, tol, history } = options;
  const n = x0.length;
  const objective = (x: Float64Array, grad: Float64Array): number => {
    let norm = 0;
    if (l1 > 0) { for (let i = 0; i < l1Count; i++) norm += Math.abs(x[i]); }
    return f(x, grad) + l1 * norm;
  };
  let x = x0.slice(), grad = new Float64Array(n);
  let next = new Float64Array(n), nextGrad = new Float64Array(n);
  let value = objective(x, grad);
  const pseudo = new Float64Array(n);
  const direction = new Float64Array(n);
  const memory = new CorrectionMemory(n, history);
  let iterations = 0;
  let converged = false;
  for (;;) {
    pseudoGradient(x, grad, l1, l1Count, pseudo);
    if (maxAbs(pseudo) <= tol) {
      converged = true;
      break;
    }
    if (iterations >= maxIter) break;
    iterations++;
    memory.direction(pseudo, direction);
    // OWL-QN: drop components that would move against the pseudo-gradient's descent direction.
    if (l1 > 0) { for (let i = 0; i < l1Count; i++) if (direction[i] * pseudo[i] >= 0) direction[i] = 0; }
    if (!(dot(direction, pseudo) < 0)) {
      memory.clear();
      for (let i = 0; i < n; i++) direction[i] = -pseudo[i];
    }
    // Without curvature pairs the direction is the raw gradient: start with a unit-length step, as scipy does.
    let step = memory.size === 0 ? 1 / Math.sqrt(dot(pseudo, pseudo)) : 1;
    let nextValue = NaN;
    let accepted = false;
    for (let halving = 0; halving < MAX_HALVINGS && !accepted; halving++) {
      if (halving > 0) step /= 2;
      let predicted = 0;
      for (let i = 0; i < n; i++) {
        let v = x[i] + step * direction[i];
        // Stay in the orthant of x (of −pseudo-gradient where x is 0): a sign change stops at zero.
        if (l1 > 0 && i < l1Count) {
          const orthant = x[i] !== 0 ? Math.sign(x[i]) : -Math.sign(pseudo[i]);
          if (v * orthant <= 0) v = 0;
        }
        next[i] = v;
        predicted += pseudo[i] * (v - x[i]);
      }
      nextValue = objective(next, nextGrad);
      accepted = nextValue <= value + ARMIJO * predicted;
    }
    if (!accepted) break;
    memory.push(x, next, grad, nextGrad);
    const decrease = (value - nextValue) / Math.max(Math.abs(value), Math.abs(nextValue), 1);
    [x, next] = [next, x];
    [grad, nextGrad] = [nextGrad, grad];
    value = nextValue;
    if (decrease <= STALLED) {
      converged = true;
      break;
    }
  }
  return { x, value, iterations, converged };
}

/** The L-BFGS memory: the last `history` steps s and smooth-gradient changes y, in a ring of reused buffers. */
class CorrectionMemory {
  readonly #s: Float64Array[] = [];
  readonly #y: Float64Array[] = [];
  readonly #rho: number[] = [];
  #start = 0;
  #size = 0;
  readonly #alpha: Float64Array;

  constructor(readonly n: number, readonly history: number) {
    this.#alpha = new Float64Array(history);
  }

  get size(): number {
    return this.#size;
  }

  clear(): void {
    this.#size = 0;
  }

  /** Records the step from `x` to `next`; skipped when its curvature `s·y` is not safely positive. */
  push(x: Float64Array, next: Float64Array, grad: Float64Array, nextGrad: Float64Array): void {
    const slot = (this.#start + this.#size) % this.history;
    if (this.#s.length <= slot) {
      this.#s.push(new Float64Array(this.n));
      this.#y.push(new Float64Array(this.n));
      this.#rho.push(0);
    }
    const s = this.#s[slot], y = this.#y[slot];
    let sy = 0, yy = 0;
    for (let i = 0; i < this.n; i++) {
      s[i] = next[i] - x[i];
      y[i] = nextGrad[i] - grad[i];
      sy += s[i] * y[i];
      yy += y[i] * y[i];
    }
    if (!(sy > Number.EPSILON * yy)) return;
    this.#rho[slot] = 1 / sy;
    if (this.#size < this.history) this.#size++;
    else this.#start = (this.#start + 1) % this.history;
  }

  /** `out = −H·g`, H the L-BFGS inverse-Hessian estimate (two-loop recursion, H₀ = (s·y / y·y)·I). */
  direction(g: Float64Array, out: Float64Array): void {
    out.set(g);
    const slotOf = (k: number) => (this.#start + k) % this.history;
    for (let k = this.#size - 1; k >= 0; k--) {
      const slot = slotOf(k);
      const a = this.#rho[slot] * dot(this.#s[slot], out);
      this.#alpha[k] = a;
      axpy(-a, this.#y[slot], out);
    }
    if (this.#size > 0) {
      const newest = slotOf(this.#size - 1);
      const y = this.#y[newest];
      const gamma = 1 / (this.#rho[newest] * dot(y, y));
      for (let i = 0; i < this.n; i++) out[i] *= gamma;
    }
    for (let k = 0; k < this.#size; k++) {
      const slot = slotOf(k);
      const beta = this.#rho[slot] * dot(this.#y[slot], out);
      axpy(this.#alpha[k] - beta, this.#s[slot], out);
    }
    for (let i = 0; i < this.n; i++) out[i] = -out[i];
  }
}

/** The minimum-norm subgradient of `f + l1·‖x‖₁` (equal to the gradient where there is no L1 term). */
function pseudoGradient(x: Float64Array, grad: Float64Array, l1: number, l1Count: number, out: Float64Array): void {
  out.set(grad);
  if (l1 === 0) return;
  for (let i = 0; i < l1Count; i++) {
    const g = grad[i];
    if (x[i] > 0) out[i] = g + l1;
    else if (x[i] < 0) out[i] = g - l1;
    else if (g + l1 < 0) out[i] = g + l1;
    else if (g - l1 > 0) out[i] = g - l1;
    else out[i] = 0;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}
