// Batched, strided matrix product with a fused epilogue; the one kernel behind every projection, FFN,
// logits and weight gradient.
//   matmul:  c[b] (M, N) = act(alpha * op(a[b]) (M, K) @ op(b[b]) (K, N) + bias[b] (N))   (+ c[b] if ACCUMULATE)
// op(a) is a (M, K) stored with row stride lda, or, with TRANS_A, its transpose: a stored (K, M). Likewise
// op(b) is b (K, N), or with TRANS_B b stored (N, K). So dA = dC·Bᵀ and dB = Aᵀ·dC need no transpose kernel
// (the transposes are folded into the tile loads, as in TensorFlow.js' matmul_packed_webgpu).
// Element (i, j) of matrix b of the batch lives at offset + b * stride + i * ld + j (stride 0 broadcasts),
// so column slices (one head's columns of a (B*T, D) tensor) and branch-major batches need no copies.
// Bindings: 0 params (uniform), 1 c (read_write), 2 a, 3 b, 4 bias (any buffer when HAS_BIAS is off).
// Tiling: a workgroup computes a TILE_M x 64 block of C with 8 x (TILE_M / 8) threads, each thread an 8x8
// register block (16 vec4 accumulators); K is walked in steps of 16 through two vec4 tiles in workgroup
// memory (16 x TILE_M and 16 x 64 floats: 12 KiB at TILE_M = 128). TILE_M (64 or 128) is an override the
// launcher picks to waste fewer padded rows. Grid: (N / 64, M / TILE_M, batch). Partial tiles load zeros
// and store nothing outside (M, N), so no shape needs to be a tile multiple.

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
override TILE_M: u32 = 128u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TILE_N = 64u;
const TILE_K = 16u;
const THREADS_N = 8u; // threads across a tile row, TILE_N / 8; the workgroup has 8 x (TILE_M / 8) = TILE_M

// tile_a[kk * TILE_M / 4 + r] holds op(a) rows 4r..4r+3 at k index kk;
// tile_b[kk * 16 + q] holds op(b) columns 4q..4q+3 at k index kk.
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

// Fill both tiles for the K step at k0. Each vec4 of a tile is 4 neighbouring rows (a) or columns (b) at
// one k; neighbouring threads take neighbouring k when the stored rows run along K, else neighbouring
// vec4s, so global reads stay coalesced in every transpose case.
fn fill_tiles(t: u32, base_a: u32, base_b: u32, row0: u32, col0: u32, k0: u32) {
  let groups_a = TILE_M / 4u;
  for (var idx = t; idx < TILE_K * groups_a; idx += TILE_M) {
    var kk = idx % TILE_K;
    var r = idx / TILE_K;
    if (TRANS_A) { kk = idx / groups_a; r = idx % groups_a; }
    let row = row0 + 4u * r;
    let col = k0 + kk;
    tile_a[kk * groups_a + r] = vec4f(load_a(base_a, row, col), load_a(base_a, row + 1u, col),
                                      load_a(base_a, row + 2u, col), load_a(base_a, row + 3u, col));
  }
  let groups_b = TILE_N / 4u;
  for (var idx = t; idx < TILE_K * groups_b; idx += TILE_M) {
    var kk = idx / groups_b;
    var q = idx % groups_b;
    if (TRANS_B) { kk = idx % TILE_K; q = idx / TILE_K; }
    let row = k0 + kk;
    let col = col0 + 4u * q;
    tile_b[kk * groups_b + q] = vec4f(load_b(base_b, row, col), load_b(base_b, row, col + 1u),
                                      load_b(base_b, row, col + 2u), load_b(base_b, row, col + 3u));
  }
}

// Epilogue for one 4-column group of one output row: alpha, bias, ReLU, accumulate, bounds.
fn store4(batch: u32, row: u32, col: u32, acc: vec4f) {
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

@compute @workgroup_size(THREADS_N, TILE_M / 8u)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
          @builtin(local_invocation_index) t: u32) {
  let batch = wid.z;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let base_a = params.offset_a + batch * params.stride_a;
  let base_b = params.offset_b + batch * params.stride_b;
  // acc[2 * i + h] holds row 8 * lid.y + i, columns 8 * lid.x + 4h .. + 3.
  var acc: array<vec4f, 16>;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    fill_tiles(t, base_a, base_b, row0, col0, k0);
    workgroupBarrier();
    // A bound that is not a compile-time constant keeps compilers from unrolling this loop 16 times
    // (software drivers expand every divergent load per lane, so unrolling multiplies compile time);
    // it also skips the zero padding of the last K step.
    let k_steps = min(TILE_K, params.k - k0);
    for (var kk = 0u; kk < k_steps; kk++) {
      let a_lo = tile_a[kk * (TILE_M / 4u) + 2u * lid.y];
      let a_hi = tile_a[kk * (TILE_M / 4u) + 2u * lid.y + 1u];
      let b_lo = tile_b[kk * (TILE_N / 4u) + 2u * lid.x];
      let b_hi = tile_b[kk * (TILE_N / 4u) + 2u * lid.x + 1u];
      for (var i = 0u; i < 4u; i++) {
        acc[2u * i] += a_lo[i] * b_lo;
        acc[2u * i + 1u] += a_lo[i] * b_hi;
        acc[2u * i + 8u] += a_hi[i] * b_lo;
        acc[2u * i + 9u] += a_hi[i] * b_hi;
      }
    }
    workgroupBarrier();
  }
  let row = row0 + 8u * lid.y;
  let col = col0 + 8u * lid.x;
  for (var i = 0u; i < 8u; i++) {
    store4(batch, row + i, col, acc[2u * i]);
    store4(batch, row + i, col + 4u, acc[2u * i + 1u]);
  }
}
