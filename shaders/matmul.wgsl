// Batched, strided matrix product with a fused epilogue; the one kernel behind every projection, FFN,
// logits and weight gradient.
//   matmul:  c[b] (M, N) = act(alpha * op(a[b]) (M, K) @ op(b[b]) (K, N) + bias[b] (N))   (+ c[b] if ACCUMULATE)
// op(a) is a (M, K) stored with row stride lda, or, with TRANS_A, its transpose: a stored (K, M). Likewise
// op(b) is b (K, N), or with TRANS_B b stored (N, K). So dA = dC·Bᵀ and dB = Aᵀ·dC need no transpose kernel
// (the transposes are folded into the tile loads, as in TensorFlow.js' matmul_packed_webgpu).
// Element (i, j) of matrix b of the batch lives at offset + b * stride + i * ld + j (stride 0 broadcasts),
// so column slices (one head's columns of a (B*T, D) tensor) and branch-major batches need no copies.
// Bindings: 0 params (uniform), 1 c (read_write), 2 a, 3 b, 4 bias (any buffer when HAS_BIAS is off).
// Tiling: 64x64 output tile per workgroup of 16x16 threads, each thread a 4x4 register block; K walked in
// steps of 16 through two 16x64 vec4 tiles in workgroup memory (8 KiB). Grid: (N/64, M/64, batch).
// Partial tiles load zeros and store nothing outside (M, N), so no shape needs to be a tile multiple.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  offset_a: u32,
  offset_b: u32,
  offset_c: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
  bias_offset: u32,
  bias_stride: u32,
  alpha: f32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override ACCUMULATE: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TILE_M = 64u;
const TILE_N = 64u;
const TILE_K = 16u;

// tile_a[kk * 16 + r] holds op(a) rows 4r..4r+3 at k index kk; tile_b[kk * 16 + q] holds op(b) columns
// 4q..4q+3 at k index kk. One vec4 per thread per tile per K step.
var<workgroup> tile_a: array<vec4f, TILE_K * TILE_M / 4u>;
var<workgroup> tile_b: array<vec4f, TILE_K * TILE_N / 4u>;

// op(a)[row, col] of the current batch matrix, 0 outside (M, K).
fn load_a(base: u32, row: u32, col: u32) -> f32 {
  if (row >= params.m || col >= params.k) { return 0.0; }
  if (TRANS_A) { return a[base + col * params.lda + row]; }
  return a[base + row * params.lda + col];
}

// op(b)[row, col] of the current batch matrix, 0 outside (K, N).
fn load_b(base: u32, row: u32, col: u32) -> f32 {
  if (row >= params.k || col >= params.n) { return 0.0; }
  if (TRANS_B) { return b[base + col * params.ldb + row]; }
  return b[base + row * params.ldb + col];
}

// Thread t fills one vec4 of each tile. The (kk, group) split follows the storage order so that
// neighbouring threads read neighbouring addresses: along K when the stored rows run along K.
fn fill_tiles(t: u32, base_a: u32, base_b: u32, row0: u32, col0: u32, k0: u32) {
  var kk_a = t / 16u;
  var r = t % 16u;
  if (!TRANS_A) { kk_a = t % 16u; r = t / 16u; }
  let ra = row0 + 4u * r;
  let ka = k0 + kk_a;
  tile_a[kk_a * 16u + r] = vec4f(load_a(base_a, ra, ka), load_a(base_a, ra + 1u, ka),
                                 load_a(base_a, ra + 2u, ka), load_a(base_a, ra + 3u, ka));
  var kk_b = t / 16u;
  var q = t % 16u;
  if (TRANS_B) { kk_b = t % 16u; q = t / 16u; }
  let cb = col0 + 4u * q;
  let kb = k0 + kk_b;
  tile_b[kk_b * 16u + q] = vec4f(load_b(base_b, kb, cb), load_b(base_b, kb, cb + 1u),
                                 load_b(base_b, kb, cb + 2u), load_b(base_b, kb, cb + 3u));
}

// Epilogue for one output row of the thread's block: alpha, bias, ReLU, accumulate, bounds.
fn store_row(batch: u32, row: u32, col: u32, acc: vec4f) {
  if (row >= params.m) { return; }
  let base = params.offset_c + batch * params.stride_c + row * params.ldc;
  for (var j = 0u; j < 4u; j++) {
    let cj = col + j;
    if (cj >= params.n) { return; }
    var v = params.alpha * acc[j];
    if (HAS_BIAS) { v += bias[params.bias_offset + batch * params.bias_stride + cj]; }
    if (RELU) { v = max(v, 0.0); }
    if (ACCUMULATE) { v += c[base + cj]; }
    c[base + cj] = v;
  }
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
          @builtin(local_invocation_index) t: u32) {
  let batch = wid.z;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let base_a = params.offset_a + batch * params.stride_a;
  let base_b = params.offset_b + batch * params.stride_b;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    fill_tiles(t, base_a, base_b, row0, col0, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tile_a[kk * 16u + lid.y];
      let bv = tile_b[kk * 16u + lid.x];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let row = row0 + 4u * lid.y;
  let col = col0 + 4u * lid.x;
  store_row(batch, row, col, acc0);
  store_row(batch, row + 1u, col, acc1);
  store_row(batch, row + 2u, col, acc2);
  store_row(batch, row + 3u, col, acc3);
}
