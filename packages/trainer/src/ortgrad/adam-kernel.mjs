// The Adam update of one weight array in place (plain JS: the main thread and adam-worker.mjs
// both run it). A top-level loop with hoisted scalars, the moments rounded to float32 only where
// they are stored (the same loop as a closure with a Math.fround per moment cost 57 ms a step on
// the scratch CNN's 2.1 M weights; this one 28 ms). Types: adam-kernel.d.mts.
export function adamUpdate(w, m, s, g, a) {
  const { b1, b2, eps, c1, c2 } = a;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  const step = -a.lr;
  const n = w.length;
  for (let k = 0; k < n; k++) {
    const gk = g[k];
    const mk = m[k] * b1 + gk * a1;
    const sk = s[k] * b2 + gk * gk * a2;
    m[k] = mk;
    s[k] = sk;
    w[k] = w[k] + (mk / c1 / (Math.sqrt(sk / c2) + eps)) * step;
  }
}
