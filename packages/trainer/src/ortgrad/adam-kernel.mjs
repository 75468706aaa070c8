// The Adam update of one weight as a WebAssembly SIMD kernel (plain JS, no TypeScript loader:
// the main thread and adam-worker.mjs both load it). Types: adam-kernel.d.mts.
//
// The module is assembled here, byte by byte, from the function below (there is no wasm
// toolchain among the dependencies). It imports its memory as env.mem, shared or not, and exports
//
//   adam(w, m, s, g: byte offsets, n: values (a multiple of 4), b1, a1, b2, a2, c1, c2, eps, nlr: f32)
//
// which runs, four values per instruction, exactly TF.js's Adam (tfjs-core adam_optimizer.js) in
// float32, one rounding per operation as TF.js's cpu backend rounds them:
//   m ← m·b1 + g·a1            (a1 = 1 − β1)
//   s ← s·b2 + (g·g)·a2        (a2 = 1 − β2)
//   w ← (m/c1) / (√(s/c2) + ε) · nlr + w     (c = 1 − βᵗ, nlr = −learning rate)
// 2.9 ms for 1.5 M values where the JS loop it replaces took 19 ms.

const uleb = (v) => {
  const out = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const name = (s) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const get = (i) => [0x20, ...uleb(i)];
const set = (i) => [0x21, ...uleb(i)];
const simd = (op) => [0xfd, ...uleb(op)];
const LOAD = [...simd(0x00), 4, 0]; // v128.load, align 16, offset 0
const STORE = [...simd(0x0b), 4, 0]; // v128.store
const SPLAT = simd(0x13); // f32x4.splat
const SQRT = simd(0xe3);
const ADD = simd(0xe4);
const MUL = simd(0xe6);
const DIV = simd(0xe7);
const I32_CONST = 0x41; // followed by a signed LEB128 (the constants here are < 64: one byte)
const I32_ADD = 0x6a;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;

// Parameters 0–3: w, m, s, g; 4: n; 5–12: the eight scalars. Locals: i (byte index), end, the
// eight scalars splatted to vectors, and this lane group's g, new m, new s.
const P_N = 4;
const P_SCALARS = 5;
const I = 13;
const END = 14;
const V = 15; // V+0 b1, +1 a1, +2 b2, +3 a2, +4 c1, +5 c2, +6 eps, +7 nlr
const G = 23;
const M = 24;
const S = 25;

const at = (p) => [...get(p), ...get(I), I32_ADD];

function moduleBytes(shared) {
  const body = [
    ...vec([[...uleb(2), I32], [...uleb(11), V128]]),
    ...get(P_N), I32_CONST, 2, I32_SHL, ...set(END),
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((k) => [...get(P_SCALARS + k), ...SPLAT, ...set(V + k)]),
    0x02, 0x40, // block
    0x03, 0x40, // loop
    ...get(I), ...get(END), I32_GE_U, 0x0d, 1, // br_if out of the block when i ≥ end
    ...at(3), ...LOAD, ...set(G),
    ...at(1), ...LOAD, ...get(V + 0), ...MUL, ...get(G), ...get(V + 1), ...MUL, ...ADD, ...set(M),
    ...at(1), ...get(M), ...STORE,
    ...at(2), ...LOAD, ...get(V + 2), ...MUL, ...get(G), ...get(G), ...MUL, ...get(V + 3), ...MUL, ...ADD, ...set(S),
    ...at(2), ...get(S), ...STORE,
    ...at(0), // the store's address
    ...get(M), ...get(V + 4), ...DIV,
    ...get(S), ...get(V + 5), ...DIV, ...SQRT, ...get(V + 6), ...ADD,
    ...DIV, ...get(V + 7), ...MUL,
    ...at(0), ...LOAD, ...ADD,
    ...STORE,
    ...get(I), I32_CONST, 16, I32_ADD, ...set(I),
    0x0c, 0, // br to the loop
    0x0b, 0x0b, 0x0b, // end loop, block, function
  ];
  const params = [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32];
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, ...limits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('adam'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

const compiled = new Map();

/** The kernel bound to `memory` (shared or not): (w, m, s, g, n, scalars) with byte offsets and n a multiple of 4. */
export function adamKernel(memory) {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  let mod = compiled.get(shared);
  if (!mod) {
    mod = new WebAssembly.Module(moduleBytes(shared));
    compiled.set(shared, mod);
  }
  const adam = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports.adam;
  return (w, m, s, g, n, a) => adam(w, m, s, g, n, a.b1, a.a1, a.b2, a.a2, a.c1, a.c2, a.eps, a.nlr);
}
