/**
 * Isolation Forest (Liu, Ting & Zhou 2008), following scikit-learn's conventions.
 * Anomalies are few and different, so random axis-parallel splits isolate them in fewer steps:
 * the shorter the average path length, the higher the score.
 */
import { mulberry32, randomInt, shuffleSample } from './random.js';
import { quantile } from './stats.js';

export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  /** Rows per tree; 'auto' (default) = min(256, n). Larger than n is capped at n. */
  sampleSize?: number | 'auto';
  /**
   * 'auto' (default): like sklearn's offset −0.5, anomalies are scores above 0.5.
   * A number in (0, 0.5]: the threshold is that upper quantile of the training scores.
   */
  contamination?: number | 'auto';
  /** Seed of the generator (default 1); same seed and data → same forest. */
  seed?: number;
  /** Features per tree: a fraction in (0, 1] of all features (default 1.0) or an integer count > 1. */
  maxFeatures?: number;
}

const EULER_GAMMA = 0.5772156649;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n nodes,
 * 2H(n−1) − 2(n−1)/n with H(i) ≈ ln(i) + γ; c(1) = 0 (and c(0) = 0), c(2) = 1.
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

function checkMatrix(X: readonly (readonly number[])[], what: string, width?: number): number {
  const d = width ?? X[0]?.length ?? 0;
  if (d === 0) throw new RangeError(`IsolationForest.${what}: rows must have at least one feature`);
  for (let i = 0; i < X.length; i++) {
    const row = X[i]!;
    if (row.length !== d) throw new RangeError(`IsolationForest.${what}: row ${i} has ${row.length} features, expected ${d}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j])) throw new RangeError(`IsolationForest.${what}: row ${i} feature ${j} is not a finite number`);
    }
  }
  return d;
}

export class IsolationForest {
  private readonly nTrees: number;
  private readonly sampleSizeOpt: number | 'auto';
  private readonly contamination: number | 'auto';
  private readonly seed: number;
  private readonly maxFeatures: number;

  // The fitted forest, all trees in flat typed arrays. feature = -1 marks a leaf, whose
  // leafPath already holds depth + c(leaf size).
  private nFeatures = 0;
  private psi = 0;
  private roots: Int32Array = new Int32Array(0);
  private feature: Int32Array = new Int32Array(0);
  private split: Float64Array = new Float64Array(0);
  private left: Int32Array = new Int32Array(0);
  private right: Int32Array = new Int32Array(0);
  private leafPath: Float64Array = new Float64Array(0);
  private thresholdValue = NaN;
  private trainScores: number[] | null = null;
  /** Training rows, kept only until their scores are first needed (lazily: fit(X) + score(X) scores once). */
  private trainData: Float64Array | null = null;

  constructor(opts: IsolationForestOptions = {}) {
    this.nTrees = opts.nTrees ?? 100;
    this.sampleSizeOpt = opts.sampleSize ?? 'auto';
    this.contamination = opts.contamination ?? 'auto';
    this.seed = opts.seed ?? 1;
    this.maxFeatures = opts.maxFeatures ?? 1.0;
    if (!Number.isInteger(this.nTrees) || this.nTrees < 1) throw new RangeError(`IsolationForest: nTrees must be a positive integer, got ${this.nTrees}`);
    if (this.sampleSizeOpt !== 'auto' && (!Number.isInteger(this.sampleSizeOpt) || this.sampleSizeOpt < 1)) {
      throw new RangeError(`IsolationForest: sampleSize must be 'auto' or a positive integer, got ${this.sampleSizeOpt}`);
    }
    if (this.contamination !== 'auto' && !(this.contamination > 0 && this.contamination <= 0.5)) {
      throw new RangeError(`IsolationForest: contamination must be 'auto' or in (0, 0.5], got ${this.contamination}`);
    }
    if (!(this.maxFeatures > 0) || (this.maxFeatures > 1 && !Number.isInteger(this.maxFeatures))) {
      throw new RangeError(`IsolationForest: maxFeatures must be a fraction in (0, 1] or an integer, got ${this.maxFeatures}`);
    }
  }

  /** Builds the trees from the rows of X (n × d, finite numbers) and sets the threshold. */
  fit(X: readonly (readonly number[])[]): this {
    const n = X.length;
    if (n === 0) throw new RangeError('IsolationForest.fit: no rows');
    const d = checkMatrix(X, 'fit');
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) data.set(X[i]!, i * d);

    const psi = this.sampleSizeOpt === 'auto' ? Math.min(256, n) : Math.min(this.sampleSizeOpt, n);
    const nf = this.maxFeatures <= 1 ? Math.max(1, Math.floor(this.maxFeatures * d)) : Math.min(this.maxFeatures, d);
    const heightLimit = Math.ceil(Math.log2(Math.max(psi, 2)));
    const maxNodes = 2 * psi - 1;
    const total = this.nTrees * maxNodes;
    const feature = new Int32Array(total).fill(-1);
    const split = new Float64Array(total);
    const left = new Int32Array(total);
    const right = new Int32Array(total);
    const leafPath = new Float64Array(total);
    const roots = new Int32Array(this.nTrees);

    const rng = mulberry32(this.seed);
    const idx = new Int32Array(psi);
    const feats = new Int32Array(nf);
    // Explicit stack of pending nodes: (node id, start, end, depth) over the idx buffer.
    const stackNode = new Int32Array(maxNodes);
    const stackStart = new Int32Array(maxNodes);
    const stackEnd = new Int32Array(maxNodes);
    const stackDepth = new Int32Array(maxNodes);
    let next = 0;

    for (let t = 0; t < this.nTrees; t++) {
      idx.set(shuffleSample(rng, n, psi));
      feats.set(shuffleSample(rng, d, nf));
      roots[t] = next;
      let sp = 0;
      stackNode[sp] = next++;
      stackStart[sp] = 0;
      stackEnd[sp] = psi;
      stackDepth[sp] = 0;
      sp++;
      while (sp > 0) {
        sp--;
        const node = stackNode[sp]!;
        const start = stackStart[sp]!;
        const end = stackEnd[sp]!;
        const depth = stackDepth[sp]!;
        const size = end - start;
        let chosen = -1;
        let lo = 0;
        let hi = 0;
        if (size > 1 && depth < heightLimit) {
          // Try the tree's features in random order until one is not constant in this node.
          for (let k = 0; k < nf && chosen < 0; k++) {
            const j = k + randomInt(rng, nf - k);
            const f = feats[j]!;
            feats[j] = feats[k]!;
            feats[k] = f;
            lo = Infinity;
            hi = -Infinity;
            for (let i = start; i < end; i++) {
              const v = data[idx[i]! * d + f]!;
              if (v < lo) lo = v;
              if (v > hi) hi = v;
            }
            if (hi > lo) chosen = f;
          }
        }
        if (chosen < 0) {
          leafPath[node] = depth + averagePathLength(size);
          continue;
        }
        let s = lo + rng() * (hi - lo);
        if (!(s < hi)) s = lo; // rounding guard: keep both sides non-empty
        // Partition idx[start, end): values ≤ s to the left.
        let a = start;
        let b = end - 1;
        while (a <= b) {
          if (data[idx[a]! * d + chosen]! <= s) a++;
          else {
            const tmp = idx[a]!;
            idx[a] = idx[b]!;
            idx[b] = tmp;
            b--;
          }
        }
        feature[node] = chosen;
        split[node] = s;
        const l = next++;
        const r = next++;
        left[node] = l;
        right[node] = r;
        stackNode[sp] = l;
        stackStart[sp] = start;
        stackEnd[sp] = a;
        stackDepth[sp] = depth + 1;
        sp++;
        stackNode[sp] = r;
        stackStart[sp] = a;
        stackEnd[sp] = end;
        stackDepth[sp] = depth + 1;
        sp++;
      }
    }

    this.nFeatures = d;
    this.psi = psi;
    this.roots = roots;
    this.feature = feature;
    this.split = split;
    this.left = left;
    this.right = right;
    this.leafPath = leafPath;
    this.trainScores = null;
    this.trainData = data;
    this.thresholdValue = this.contamination === 'auto' ? 0.5 : quantile(this.trainingScores, 1 - this.contamination);
    return this;
  }

  /** Anomaly score s(x) = 2^(-E[h(x)]/c(ψ)) in (0, 1]: near 1 = anomalous, ≤ 0.5 = normal. */
  score(X: readonly (readonly number[])[]): number[] {
    this.assertFitted();
    if (X.length === 0) return [];
    const d = checkMatrix(X, 'score', this.nFeatures);
    const data = new Float64Array(X.length * d);
    for (let i = 0; i < X.length; i++) data.set(X[i]!, i * d);
    return this.scoreFlat(data, X.length);
  }

  /** Score threshold from contamination (quantile of training scores) — scores above it are anomalies. */
  get threshold(): number {
    this.assertFitted();
    return this.thresholdValue;
  }

  /** Scores of the training rows, in input order (what the threshold was taken from). */
  get trainingScores(): readonly number[] {
    this.assertFitted();
    if (!this.trainScores) {
      const data = this.trainData!;
      this.trainScores = this.scoreFlat(data, data.length / this.nFeatures);
      this.trainData = null;
    }
    return this.trainScores;
  }

  /** true = anomaly (score above the threshold). */
  predict(X: readonly (readonly number[])[]): boolean[] {
    const t = this.threshold;
    return this.score(X).map((s) => s > t);
  }

  private assertFitted(): void {
    if (this.psi === 0) throw new Error('IsolationForest: call fit() first');
  }

  private scoreFlat(data: Float64Array, n: number): number[] {
    const d = this.nFeatures;
    const cPsi = averagePathLength(this.psi);
    const { roots, feature, split, left, right, leafPath } = this;
    const nTrees = roots.length;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const base = i * d;
      let sum = 0;
      for (let t = 0; t < nTrees; t++) {
        let node = roots[t]!;
        let f = feature[node]!;
        while (f >= 0) {
          node = data[base + f]! <= split[node]! ? left[node]! : right[node]!;
          f = feature[node]!;
        }
        sum += leafPath[node]!;
      }
      // With a single training row nothing can be isolated: every point is "normal" (0.5).
      out[i] = cPsi === 0 ? 0.5 : Math.pow(2, -(sum / nTrees) / cPsi);
    }
    return out;
  }
}
