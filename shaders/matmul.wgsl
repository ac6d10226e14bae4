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
// memory (16 x TILE_M and 16 x 64 floats). The epilogue stages C through the same memory in two halves of
// 32 columns (TILE_M x 32 floats: 16 KiB at TILE_M = 128). TILE_M (64 or 128) is an override the launcher
// picks to pad short matrices less. Grid: (N / 64, M / TILE_M, batch). Partial tiles load zeros and store
// nothing outside (M, N), so no shape needs to be a tile multiple.

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
const THREADS_N = 8u; // threads across a tile row; the workgroup has 8 x (TILE_M / 8) = TILE_M threads
const HALF_N = 32u; // the epilogue stages C in two halves of 32 columns

// One workgroup array serves two phases. Main loop: tile_a at [0, TILE_M * 4) with
// [kk * TILE_M / 4 + r] = op(a) rows 4r..4r+3 at k index kk, then tile_b at [TILE_M * 4, + 256) with
// [kk * 16 + q] = op(b) columns 4q..4q+3 at k index kk. Epilogue: [r * 8 + q] = C row r, columns
// 4q..4q+3 of the current 32-column half. TILE_M * 8 vec4: 16 KiB at TILE_M = 128.
var<workgroup> smem: array<vec4f, TILE_M * 8u>;

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
    smem[kk * groups_a + r] = vec4f(load_a(base_a, row, col), load_a(base_a, row + 1u, col),
                                    load_a(base_a, row + 2u, col), load_a(base_a, row + 3u, col));
  }
  let groups_b = TILE_N / 4u;
  for (var idx = t; idx < TILE_K * groups_b; idx += TILE_M) {
    var kk = idx / groups_b;
    var q = idx % groups_b;
    if (TRANS_B) { kk = idx % TILE_K; q = idx / TILE_K; }
    let row = k0 + kk;
    let col = col0 + 4u * q;
    smem[TILE_M * 4u + kk * groups_b + q] = vec4f(load_b(base_b, row, col), load_b(base_b, row, col + 1u),
                                                 load_b(base_b, row, col + 2u), load_b(base_b, row, col + 3u));
  }
}

// Write one staged 32-column half of the C tile to global memory through the epilogue: alpha, bias,
// ReLU, accumulate. One element per thread per step, neighbouring threads on neighbouring columns.
fn store_half(t: u32, batch: u32, row0: u32, col_half: u32) {
  if (col_half >= params.n) { return; }
  let rows = min(TILE_M, params.m - row0);
  let cols = min(HALF_N, params.n - col_half);
  let base = params.offset_c + batch * params.stride_c;
  for (var e = t; e < rows * HALF_N; e += TILE_M) {
    let r = e / HALF_N;
    let q = e % HALF_N;
    if (q >= cols) { continue; }
    let col = col_half + q;
    var v = params.alpha * smem[r * 8u + q / 4u][q % 4u];
    if (HAS_BIAS) { v += bias[params.bias_offset + batch * params.bias_stride + col]; }
    if (RELU) { v = max(v, 0.0); }
    let at = base + (row0 + r) * params.ldc + col;
    if (ACCUMULATE) { v += c[at]; }
    c[at] = v;
  }
}

// Stage row i of a thread's lo and hi row groups for the current column half.
fn stage_rows(lid: vec3u, i: u32, lo: vec4f, hi: vec4f) {
  smem[(4u * lid.y + i) * 8u + lid.x] = lo;
  smem[(TILE_M / 2u + 4u * lid.y + i) * 8u + lid.x] = hi;
}

// Thread (x, y) owns rows 4y..4y+3 and TILE_M / 2 + 4y..+3 (lo, hi), and columns 4x..4x+3 and
// 32 + 4x..+3 (halves 0, 1): neighbouring threads read neighbouring vec4s of the tiles.
// acc[4 * i + 2 * hi + half] is row i of the lo or hi group, columns of that half.
@compute @workgroup_size(THREADS_N, TILE_M / 8u)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
          @builtin(local_invocation_index) t: u32) {
  let batch = wid.z;
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let base_a = params.offset_a + batch * params.stride_a;
  let base_b = params.offset_b + batch * params.stride_b;
  let a_rows = TILE_M / 4u; // vec4 groups per k in tile_a
  var acc: array<vec4f, 16>;
  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    fill_tiles(t, base_a, base_b, row0, col0, k0);
    workgroupBarrier();
    // A bound that is not a compile-time constant keeps compilers from unrolling this loop 16 times
    // (software drivers expand every divergent load per lane, so unrolling multiplies compile time);
    // it also skips the zero padding of the last K step.
    let k_steps = min(TILE_K, params.k - k0);
    for (var kk = 0u; kk < k_steps; kk++) {
      let a_lo = smem[kk * a_rows + lid.y];
      let a_hi = smem[kk * a_rows + a_rows / 2u + lid.y];
      let b_lo = smem[TILE_M * 4u + kk * 16u + lid.x];
      let b_hi = smem[TILE_M * 4u + kk * 16u + 8u + lid.x];
      // Written out: a compiler that does not unroll (SwiftShader) would index acc dynamically, from memory.
      acc[0] += a_lo.x * b_lo; acc[1] += a_lo.x * b_hi;
      acc[2] += a_hi.x * b_lo; acc[3] += a_hi.x * b_hi;
      acc[4] += a_lo.y * b_lo; acc[5] += a_lo.y * b_hi;
      acc[6] += a_hi.y * b_lo; acc[7] += a_hi.y * b_hi;
      acc[8] += a_lo.z * b_lo; acc[9] += a_lo.z * b_hi;
      acc[10] += a_hi.z * b_lo; acc[11] += a_hi.z * b_hi;
      acc[12] += a_lo.w * b_lo; acc[13] += a_lo.w * b_hi;
      acc[14] += a_hi.w * b_lo; acc[15] += a_hi.w * b_hi;
    }
    workgroupBarrier();
  }
  // Epilogue: stage each 32-column half in workgroup memory (the tiles are no longer needed), then
  // write it out element by element; far fewer store sites than 64 per thread, and coalesced.
  stage_rows(lid, 0u, acc[0], acc[2]);
  stage_rows(lid, 1u, acc[4], acc[6]);
  stage_rows(lid, 2u, acc[8], acc[10]);
  stage_rows(lid, 3u, acc[12], acc[14]);
  workgroupBarrier();
  store_half(t, batch, row0, col0);
  workgroupBarrier();
  stage_rows(lid, 0u, acc[1], acc[3]);
  stage_rows(lid, 1u, acc[5], acc[7]);
  stage_rows(lid, 2u, acc[9], acc[11]);
  stage_rows(lid, 3u, acc[13], acc[15]);
  workgroupBarrier();
  store_half(t, batch, row0, col0 + HALF_N);
}
