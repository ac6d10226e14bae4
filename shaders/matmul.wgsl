// Batched, strided matrix product with a fused epilogue; the one kernel behind every projection, FFN,
// logits and weight gradient.
//   matmul:  c[b] (M, N) = act(alpha * op(a[b]) (M, K) @ op(b[b]) (K, N) + bias[b] (N))   (+ c[b] if ACCUMULATE)
// op(a) is a (M, K) stored with row stride lda, or, with TRANS_A, its transpose: a stored (K, M). Likewise
// op(b) is b (K, N), or with TRANS_B b stored (N, K). So dA = dC·Bᵀ and dB = Aᵀ·dC need no transpose kernel
// (the transposes are folded into the tile loads, as in TensorFlow.js' matmul_packed_webgpu).
// Element (i, j) of matrix b of the batch lives at offset + b * stride + i * ld + j (stride 0 broadcasts),
// so column slices (one head's columns of a (B*T, D) tensor) and branch-major batches need no copies.
// Storage: a and b are raw 32-bit words: f32 values, or with A_F16 / B_F16 IEEE halves packed two per word
// (element e in the low half of word e / 2 when e is even), read through unpack2x16float and accumulated in
// f32 (no shader-f16 needed). Offsets, leading dimensions and strides count elements in both cases.
// Split-K: with params.splits > 1 the grid's z is batch * splits + split, and a workgroup sums only K range
// [split * k_split, + k_split); the launcher then points c at a scratch of raw partial sums (alpha 1, no
// bias/ReLU/accumulate) laid out [batch][split][M][N], and matmul_reduce adds the splits in order and
// applies the real epilogue once. No float atomics: the result is deterministic.
// Fused gradient epilogues (binding 5, aux, read_write; any buffer when neither is on):
//   BIAS_GRAD: aux[aux_offset + entry * aux_stride + j] (+)= sum over K of op(b)[., j] (unscaled: the bias
//              gradient of a dW = Aᵀ·dC product, whose op(b) is dC), written as 0 for j in [zero_start,
//              zero_end) (an exactly-zero gradient). Workgroups of the first row tile sum their B tiles as
//              they load them; with split-K the raw per-split sums go to the scratch after the partial
//              planes (bias_partials) and matmul_reduce adds them in order in an extra row M.
//   GRAD_MASK: c = (aux[at] > 0 ? v * mask_scale : 0) (+ c), aux laid out like c: the gradient of a ReLU
//              (and a dropout folded into it) from its saved output, for a dA = dC·Bᵀ product.
// DROPOUT (forward): after the ReLU, v *= the dropout multiplier of shaders/dropout.wgsl for C's flat
// element index (at - offset_c: C dense), seeds[seed_index], stream, rate: dropout(relu(x)) in the epilogue,
// the same mask as a dropout over the output (its backward is GRAD_MASK with scale 1 / (1 - rate)).
// Bindings: 0 params (uniform), 1 c (read_write), 2 bias (any buffer when HAS_BIAS is off), 3 a, 4 b,
// 5 aux, 6 seeds (u32; any buffer without DROPOUT); matmul_reduce reads the partial sums through binding 3 (a, as f32 words) and the per-split bias
// sums through binding 4 (b: the same scratch).
// Tiling: a workgroup computes a TILE_M x 64 block of C with 8 x (TILE_M / 8) threads, each thread an 8x8
// register block (16 vec4 accumulators); K is walked in steps of 16 through two vec4 tiles in workgroup
// memory (16 x TILE_M and 16 x 64 floats); each thread stores its block through the epilogue itself.
// TILE_M (32, 64 or 128) is an override: the launcher's variant (matmul.ts MATMUL_VARIANTS; by default 64
// or 128, whichever pads short matrices less). Grid: (N / 64,
// M / TILE_M, batch * splits). Partial tiles load zeros and store nothing outside (M, N), so no shape
// needs to be a tile multiple.

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
  k_split: u32, // K elements per split (a multiple of 16; k when not split)
  splits: u32,  // 1 when not split
  aux_offset: u32,
  aux_stride: u32,
  aux_accumulate: u32, // BIAS_GRAD: 1 adds into aux
  zero_start: u32,     // BIAS_GRAD: columns [zero_start, zero_end) are written as 0
  zero_end: u32,
  bias_partials: u32,  // BIAS_GRAD with split-K: element of the scratch where the per-split bias sums start
  mask_scale: f32,     // GRAD_MASK
  stream: u32,         // DROPOUT
  rate: f32,
  seed_index: u32,
}

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override ACCUMULATE: bool = false;
override TILE_M: u32 = 128u;
override A_F16: bool = false;
override B_F16: bool = false;
override BIAS_GRAD: bool = false;
override GRAD_MASK: bool = false;
override DROPOUT: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<u32>;
@group(0) @binding(4) var<storage, read> b: array<u32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>;
@group(0) @binding(6) var<storage, read> seeds: array<u32>;
//!include rng.wgsl

const TILE_N = 64u;
const TILE_K = 16u;
const THREADS_N = 8u; // threads across a tile row; the workgroup has 8 x (TILE_M / 8) = TILE_M threads
const HALF_N = 32u; // a thread's two column groups are 32 apart

// The two tiles: tile_a at [0, TILE_M * 4) with [kk * TILE_M / 4 + r] = op(a) rows 4r..4r+3 at k index
// kk, then tile_b at [TILE_M * 4, + 256) with [kk * 16 + q] = op(b) columns 4q..4q+3 at k index kk.
// 12 KiB at TILE_M = 128, 8 KiB at 64.
var<workgroup> smem: array<vec4f, TILE_M * 4u + TILE_K * TILE_N / 4u>;

// Stored element e of a (b): an f32 word, or half e % 2 of word e / 2.
fn elem_a(e: u32) -> f32 {
  if (A_F16) { return unpack2x16float(a[e >> 1u])[e & 1u]; }
  return bitcast<f32>(a[e]);
}
fn elem_b(e: u32) -> f32 {
  if (B_F16) { return unpack2x16float(b[e >> 1u])[e & 1u]; }
  return bitcast<f32>(b[e]);
}

// Stored f16 elements e..e+3 (e even): two words of halves.
fn quad_a(e: u32) -> vec4f {
  return vec4f(unpack2x16float(a[e >> 1u]), unpack2x16float(a[(e >> 1u) + 1u]));
}
fn quad_b(e: u32) -> vec4f {
  return vec4f(unpack2x16float(b[e >> 1u]), unpack2x16float(b[(e >> 1u) + 1u]));
}

// op(a)[row, col] of the current batch matrix, 0 outside (M, k_end).
fn load_a(base: u32, row: u32, col: u32, k_end: u32) -> f32 {
  if (row >= params.m || col >= k_end) { return 0.0; }
  if (TRANS_A) { return elem_a(base + col * params.lda + row); }
  return elem_a(base + row * params.lda + col);
}

// op(b)[row, col] of the current batch matrix, 0 outside (k_end, N).
fn load_b(base: u32, row: u32, col: u32, k_end: u32) -> f32 {
  if (row >= k_end || col >= params.n) { return 0.0; }
  if (TRANS_B) { return elem_b(base + col * params.ldb + row); }
  return elem_b(base + row * params.ldb + col);
}

// op(a) rows row..row+3 at column col, all inside the matrix: no bounds checks; with f16 storage and
// TRANS_A the four are contiguous, two words.
fn inner_a4(base: u32, row: u32, col: u32) -> vec4f {
  if (TRANS_A) {
    let e = base + col * params.lda + row;
    if (A_F16) { return quad_a(e); }
    return vec4f(elem_a(e), elem_a(e + 1u), elem_a(e + 2u), elem_a(e + 3u));
  }
  let e = base + row * params.lda + col;
  let l = params.lda;
  return vec4f(elem_a(e), elem_a(e + l), elem_a(e + 2u * l), elem_a(e + 3u * l));
}

// op(b) columns col..col+3 at row `row`, all inside the matrix (two words with f16 when not TRANS_B).
fn inner_b4(base: u32, row: u32, col: u32) -> vec4f {
  if (!TRANS_B) {
    let e = base + row * params.ldb + col;
    if (B_F16) { return quad_b(e); }
    return vec4f(elem_b(e), elem_b(e + 1u), elem_b(e + 2u), elem_b(e + 3u));
  }
  let e = base + col * params.ldb + row;
  let l = params.ldb;
  return vec4f(elem_b(e), elem_b(e + l), elem_b(e + 2u * l), elem_b(e + 3u * l));
}

// op(a) rows row..row+3 at column col, each checked (zero outside); f16 groups of four that are inside
// still take inner_a4's two words. (Not for f32: that branch would only add compile time.)
fn edge_a4(base: u32, row: u32, col: u32, k_end: u32) -> vec4f {
  if (A_F16 && TRANS_A && row + 3u < params.m && col < k_end) { return inner_a4(base, row, col); }
  return vec4f(load_a(base, row, col, k_end), load_a(base, row + 1u, col, k_end),
               load_a(base, row + 2u, col, k_end), load_a(base, row + 3u, col, k_end));
}

// op(b) columns col..col+3 at row `row`, each checked; likewise for f16 when not TRANS_B.
fn edge_b4(base: u32, row: u32, col: u32, k_end: u32) -> vec4f {
  if (B_F16 && !TRANS_B && col + 3u < params.n && row < k_end) { return inner_b4(base, row, col); }
  return vec4f(load_b(base, row, col, k_end), load_b(base, row, col + 1u, k_end),
               load_b(base, row, col + 2u, k_end), load_b(base, row, col + 3u, k_end));
}

// Fill both tiles for the K step at k0. Each vec4 of a tile is 4 neighbouring rows (a) or columns (b) at
// one k; neighbouring threads take neighbouring k when the stored rows run along K, else neighbouring
// vec4s, so global reads stay coalesced in every transpose case. A tile wholly inside its matrix (the
// common case; one uniform branch per K step) loads without bounds checks: 8-25% faster on lavapipe.
fn fill_tiles(t: u32, base_a: u32, base_b: u32, row0: u32, col0: u32, k0: u32, k_end: u32) {
  let full_k = k0 + TILE_K <= k_end;
  let groups_a = TILE_M / 4u;
  let inside_a = full_k && row0 + TILE_M <= params.m;
  for (var idx = t; idx < TILE_K * groups_a; idx += TILE_M) {
    var kk = idx % TILE_K;
    var r = idx / TILE_K;
    if (TRANS_A) { kk = idx / groups_a; r = idx % groups_a; }
    let row = row0 + 4u * r;
    if (inside_a) {
      smem[kk * groups_a + r] = inner_a4(base_a, row, k0 + kk);
    } else {
      smem[kk * groups_a + r] = edge_a4(base_a, row, k0 + kk, k_end);
    }
  }
  let groups_b = TILE_N / 4u;
  let inside_b = full_k && col0 + TILE_N <= params.n;
  for (var idx = t; idx < TILE_K * groups_b; idx += TILE_M) {
    var kk = idx / groups_b;
    var q = idx % groups_b;
    if (TRANS_B) { kk = idx % TILE_K; q = idx / TILE_K; }
    let col = col0 + 4u * q;
    if (inside_b) {
      smem[TILE_M * 4u + kk * groups_b + q] = inner_b4(base_b, k0 + kk, col);
    } else {
      smem[TILE_M * 4u + kk * groups_b + q] = edge_b4(base_b, k0 + kk, col, k_end);
    }
  }
}

// The epilogue of one C element: alpha, bias, ReLU, accumulate, store. `entry` is the batch entry.
fn finish(entry: u32, row: u32, col: u32, sum: f32) {
  var v = params.alpha * sum;
  if (HAS_BIAS) { v += bias[params.bias_offset + entry * params.bias_stride + col]; }
  if (RELU) { v = max(v, 0.0); }
  let at = params.offset_c + entry * params.stride_c + row * params.ldc + col;
  if (DROPOUT) { v *= dropout_scale(seeds[params.seed_index], params.stream, at - params.offset_c, params.rate); }
  if (GRAD_MASK) { v = select(0.0, v * params.mask_scale, aux[at] > 0.0); }
  if (ACCUMULATE) { v += c[at]; }
  c[at] = v;
}

// BIAS_GRAD: the column sum of op(b) for column col of batch entry (or split partial) `entry`.
fn store_bias_grad(entry: u32, col: u32, sum: f32) {
  let at = params.aux_offset + entry * params.aux_stride + col;
  var v = sum;
  if (params.aux_accumulate != 0u) { v += aux[at]; }
  if (col >= params.zero_start && col < params.zero_end) { v = 0.0; }
  aux[at] = v;
}

fn store_bias_grads(entry: u32, col: u32, v: vec4f) {
  let cols = min(4u, params.n - min(col, params.n));
  for (var j = 0u; j < cols; j++) { store_bias_grad(entry, col + j, v[j]); }
}

// x_i without indexing an array dynamically (which would keep the accumulators out of registers).
fn pick4(i: u32, x0: vec4f, x1: vec4f, x2: vec4f, x3: vec4f) -> vec4f {
  return select(select(x0, x1, i == 1u), select(x2, x3, i == 3u), i >= 2u);
}

// C row `row`, columns col..col+3 (those inside N), through the epilogue. `entry` is the batch entry,
// or with split-K the partial-sum matrix (batch * splits + split) in the scratch.
fn store_row(entry: u32, row: u32, col: u32, v: vec4f) {
  let cols = min(4u, params.n - min(col, params.n));
  for (var j = 0u; j < cols; j++) { finish(entry, row, col + j, v[j]); }
}

// Thread (x, y) owns rows 4y..4y+3 and TILE_M / 2 + 4y..+3 (lo, hi), and columns 4x..4x+3 and
// 32 + 4x..+3 (halves 0, 1): neighbouring threads read neighbouring vec4s of the tiles.
// acc[4 * i + 2 * hi + half] is row i of the lo or hi group, columns of that half.
@compute @workgroup_size(THREADS_N, TILE_M / 8u)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
          @builtin(local_invocation_index) t: u32) {
  let batch = wid.z / params.splits;
  let k_begin = (wid.z % params.splits) * params.k_split;
  let k_end = min(params.k, k_begin + params.k_split);
  let row0 = wid.y * TILE_M;
  let col0 = wid.x * TILE_N;
  let base_a = params.offset_a + batch * params.stride_a;
  let base_b = params.offset_b + batch * params.stride_b;
  let a_rows = TILE_M / 4u; // vec4 groups per k in tile_a
  var acc: array<vec4f, 16>;
  var bsum_lo = vec4f(0.0); // BIAS_GRAD: column sums of this thread's two vec4 columns of op(b)
  var bsum_hi = vec4f(0.0);
  for (var k0 = k_begin; k0 < k_end; k0 += TILE_K) {
    fill_tiles(t, base_a, base_b, row0, col0, k0, k_end);
    workgroupBarrier();
    // A bound that is not a compile-time constant keeps compilers from unrolling this loop 16 times
    // (software drivers expand every divergent load per lane, so unrolling multiplies compile time);
    // it also skips the zero padding of the last K step.
    let k_steps = min(TILE_K, k_end - k0);
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
      if (BIAS_GRAD) { bsum_lo += b_lo; bsum_hi += b_hi; }
    }
    workgroupBarrier();
  }
  // Epilogue: each thread stores its own 8x8 block straight from registers, one row of 2 x 4 columns per
  // step: rows r_lo..+3, then r_hi..+3, those inside M (the hi ones only when all lo ones are). Faster than
  // staging through workgroup memory on lavapipe (5-20% when K is short); a loop bound that is not a
  // constant and only two store sites keep compilers from expanding 64 stores (compile time).
  let r_lo = row0 + 4u * lid.y;
  let r_hi = r_lo + TILE_M / 2u;
  let c_lo = col0 + 4u * lid.x;
  let c_hi = c_lo + HALF_N;
  let rows = min(4u, params.m - min(r_lo, params.m)) + min(4u, params.m - min(r_hi, params.m));
  for (var i = 0u; i < rows; i++) {
    let hi = i >= 4u;
    let q = i & 3u;
    let row = select(r_lo, r_hi, hi) + q;
    store_row(wid.z, row, c_lo, select(pick4(q, acc[0], acc[4], acc[8], acc[12]), pick4(q, acc[2], acc[6], acc[10], acc[14]), hi));
    store_row(wid.z, row, c_hi, select(pick4(q, acc[1], acc[5], acc[9], acc[13]), pick4(q, acc[3], acc[7], acc[11], acc[15]), hi));
  }
  // One row of threads of the first row tile stores the column sums (every row of threads holds the same).
  if (BIAS_GRAD && wid.y == 0u && lid.y == 0u) {
    store_bias_grads(wid.z, c_lo, bsum_lo);
    store_bias_grads(wid.z, c_hi, bsum_hi);
  }
}

// Split-K reduction: c[b][row, col] = epilogue(sum over splits s, in order, of partials[b][s][row, col]),
// the partial sums bound as a. One thread per element, 64 neighbouring columns per workgroup.
// With BIAS_GRAD, row M adds the per-split bias sums (from bias_partials, [batch][split][N]) into aux.
// Grid: (N / 64, M (+ 1 with BIAS_GRAD), batch).
@compute @workgroup_size(64)
fn matmul_reduce(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let batch = gid.z;
  if (BIAS_GRAD && row == params.m && col < params.n) {
    var at = params.bias_partials + batch * params.splits * params.n + col;
    var sum = 0.0;
    for (var s = 0u; s < params.splits; s++) {
      sum += bitcast<f32>(b[at]);
      at += params.n;
    }
    store_bias_grad(batch, col, sum);
    return;
  }
  if (col >= params.n || row >= params.m) { return; }
  let plane = params.m * params.n;
  var at = batch * params.splits * plane + row * params.n + col;
  var sum = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    sum += bitcast<f32>(a[at]);
    at += plane;
  }
  finish(batch, row, col, sum);
}
