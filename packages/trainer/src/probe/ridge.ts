/**
 * Ridge-regression classifier on one-hot targets, in its dual (kernel) form: with n rows of d
 * features it solves an n×n system, so probing thousands of flattened features on a few hundred
 * images costs milliseconds and cross-validation folds reuse one Gram matrix.
 */

/** Gram matrix X·Xᵀ (float64, n×n) of n row-major rows of d features. */
export function gram(x: Float32Array, n: number, d: number): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = x.subarray(i * d, (i + 1) * d);
    for (let j = 0; j <= i; j++) {
      const b = x.subarray(j * d, (j + 1) * d);
      let s = 0;
      for (let t = 0; t < d; t++) s += a[t]! * b[t]!;
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
  }
  return k;
}

/** Solves A·X = B in place for symmetric positive-definite A (m×m) and B (m×c), by Cholesky. */
export function choleskySolve(a: Float64Array, b: Float64Array, m: number, c: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j]!;
      for (let t = 0; t < j; t++) s -= l[i * m + t]! * l[j * m + t]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('choleskySolve: matrix is not positive definite');
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j]!;
      }
    }
  }
  const x = Float64Array.from(b);
  for (let col = 0; col < c; col++) {
    for (let i = 0; i < m; i++) {
      let s = x[i * c + col]!;
      for (let t = 0; t < i; t++) s -= l[i * m + t]! * x[t * c + col]!;
      x[i * c + col] = s / l[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let s = x[i * c + col]!;
      for (let t = i + 1; t < m; t++) s -= l[t * m + i]! * x[t * c + col]!;
      x[i * c + col] = s / l[i * m + i]!;
    }
  }
  return x;
}

/**
 * Trains on rows `train` and returns the scores of the rows of `test` (row-major [test.length,
 * classes], relative to the training class frequencies; the argmax is the prediction). `k` is the Gram matrix over all rows (size n); features
 * are centred on the training rows (in kernel space) and the ridge penalty is `lambda` × the mean
 * squared norm of the centred training rows.
 */
export function ridgeScores(k: Float64Array, n: number, labels: ArrayLike<number>, classes: number, train: number[], test: number[], lambda: number): Float64Array {
  const m = train.length;
  const scores = new Float64Array(test.length * classes);
  if (m === 0 || test.length === 0) return scores;
  // Row means of K over the training columns, and the grand mean over train × train.
  const rowMean = (i: number): number => {
    let s = 0;
    for (const j of train) s += k[i * n + j]!;
    return s / m;
  };
  const trMeans = train.map(rowMean);
  const grand = trMeans.reduce((a, b) => a + b, 0) / m;
  const kc = new Float64Array(m * m);
  let trace = 0;
  train.forEach((i, p) => {
    train.forEach((j, q) => {
      kc[p * m + q] = k[i * n + j]! - trMeans[p]! - trMeans[q]! + grand;
    });
    trace += kc[p * m + p]!;
  });
  const reg = lambda * Math.max(trace / m, 1e-12);
  for (let p = 0; p < m; p++) kc[p * m + p]! += reg;
  // Centred one-hot targets.
  const y = new Float64Array(m * classes);
  train.forEach((i, p) => (y[p * classes + (labels[i] as number)] = 1));
  for (let c = 0; c < classes; c++) {
    let s = 0;
    for (let p = 0; p < m; p++) s += y[p * classes + c]!;
    for (let p = 0; p < m; p++) y[p * classes + c]! -= s / m;
  }
  const alpha = choleskySolve(kc, y, m, classes);
  test.forEach((i, r) => {
    const mi = rowMean(i);
    for (let c = 0; c < classes; c++) {
      let s = 0;
      train.forEach((j, q) => (s += (k[i * n + j]! - mi - trMeans[q]! + grand) * alpha[q * classes + c]!));
      scores[r * classes + c] = s;
    }
  });
  return scores;
}

/** Index of the largest of row `r`'s `classes` scores (the first of equals). */
export function argmax(scores: ArrayLike<number>, r: number, classes: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
  return best;
}
