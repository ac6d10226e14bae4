// CPU references (f64) of shaders/matmul.wgsl with the launcher's layout semantics (offsets, leading
// dimensions, batch strides, transposes, epilogue), and the backward the graph builds from matmulGradSpecs.
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
