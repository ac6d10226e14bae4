// CPU references (f64) of shaders/matmul.wgsl with the launcher's layout semantics (offsets, leading
// dimensions, batch strides, transposes, epilogue), and the backward the graph builds from matmulGradSpecs.
// Split-K changes only the summation order, so the same reference checks it; for f16-stored operands the
// tests round the inputs with roundF16 (below) and pack them with packF16 for upload.
import { matmulGradSpecs, type MatmulLayout } from '../gpu/kernels/matmul.ts';

type Vec = ArrayLike<number>;

export interface RefMatmulSpec extends MatmulLayout {
  bias?: Vec;
}

/**
 * c[b] (m, n) = act(alpha * op(a[b]) @ op(b[b]) + bias[b]) (+ c[b] when accumulate), in place on `c`
 * (the whole buffer C lives in; entries outside the strided matrices are left as they are). Returns c.
 * Defaults are written out here again, independently of the launcher, so the tests check them too.
 */
export function matmul(c: Float64Array, a: Vec, b: Vec, spec: RefMatmulSpec): Float64Array {
  const { m, n, k, batch = 1, transA = false, transB = false, alpha = 1, relu = false, accumulate = false } = spec;
  const lda = spec.lda ?? (transA ? m : k);
  const ldb = spec.ldb ?? (transB ? k : n);
  const ldc = spec.ldc ?? n;
  const strideA = spec.strideA ?? (transA ? k * lda : m * lda);
  const strideB = spec.strideB ?? (transB ? n * ldb : k * ldb);
  const strideC = spec.strideC ?? m * ldc;
  const { offsetA = 0, offsetB = 0, offsetC = 0, biasOffset = 0, biasStride = 0, bias } = spec;
  for (let e = 0; e < batch; e++) {
    const baseA = offsetA + e * strideA;
    const baseB = offsetB + e * strideB;
    const baseC = offsetC + e * strideC;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = a[baseA + (transA ? p * lda + i : i * lda + p)];
          const bv = b[baseB + (transB ? j * ldb + p : p * ldb + j)];
          sum += av * bv;
        }
        let v = alpha * sum;
        if (bias) v += bias[biasOffset + e * biasStride + j];
        if (relu) v = Math.max(v, 0);
        const at = baseC + i * ldc + j;
        c[at] = accumulate ? c[at] + v : v;
      }
    }
  }
  return c;
}

/**
 * Gradients of the linear part C = alpha * op(A) @ op(B) given dC (laid out like C): dA and dB, each the
 * size of its operand's buffer (`sizeA`, `sizeB` elements) and laid out like it, zero where the operand
 * is not read. Computed by running the gradient layouts of matmulGradSpecs through the reference.
 */
export function matmulBackward(
  dc: Vec,
  a: Vec,
  b: Vec,
  fwd: MatmulLayout,
  sizeA: number,
  sizeB: number,
): { da: Float64Array; db: Float64Array } {
  const operands = { a, b, dc };
  const grads = matmulGradSpecs(fwd);
  const da = new Float64Array(sizeA);
  const db = new Float64Array(sizeB);
  for (const g of grads.da) matmul(da, operands[g.a], operands[g.b], g.spec);
  for (const g of grads.db) matmul(db, operands[g.a], operands[g.b], g.spec);
  return { da, db };
}

// ---- f16 storage (MatmulStorage 'f16'): IEEE half conversion and packing, for tests, benches and uploads. ----

/** round(v), ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The 16 bits of the IEEE half nearest to x (ties to even); beyond the half range ±Infinity, NaN a quiet NaN. */
export function f16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const ax = Math.abs(x);
  if (ax >= 65520) return sign | 0x7c00; // 65504 is the largest half; from halfway to the next step, infinity
  if (ax < 2 ** -14) return sign | roundHalfEven(ax * 2 ** 24); // subnormal (1024 carries into the smallest normal)
  let e = Math.floor(Math.log2(ax));
  if (2 ** e > ax) e--;
  else if (2 ** (e + 1) <= ax) e++;
  // The mantissa may round up to 1024, which carries into the exponent: still the right encoding.
  return sign | (((e + 15) << 10) + roundHalfEven((ax / 2 ** e - 1) * 1024));
}

/** The value of the IEEE half with these 16 bits. */
export function f16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 31;
  const man = bits & 1023;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man ? NaN : sign * Infinity;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** x rounded to the nearest half (what an f16-stored operand holds). */
export const roundF16 = (x: number): number => f16Value(f16Bits(x));

/** Values as halves packed two per 32-bit word, element e in the low half of word e / 2 when e is even. */
export function packF16(values: ArrayLike<number>): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let e = 0; e < values.length; e++) out[e >> 1] |= f16Bits(values[e]) << (16 * (e & 1));
  return out;
}
