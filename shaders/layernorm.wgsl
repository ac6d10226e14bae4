// LayerNorm over the last dimension (biased variance), forward and backward; deterministic reductions.
//   layernorm_forward:          y (N, D) = (x - mean) * rstd * g (D) + b (D); saves mean (N), rstd (N)
//                               with ADD_RESIDUAL, x = x + dropout(x2) (the residual add before a post-LN,
//                               the dropout of shaders/dropout.wgsl: same seed, stream, rate and element
//                               index, so the same mask); the sum overwrites x2 (it is the backward's x;
//                               x2 is bound read_write, and each thread reads its elements before it
//                               writes them): one dispatch for LN(x + dropout(y)), 8 storage bindings
//   layernorm_backward_input:   dx (N, D) (+)= rstd * (g*dy - mean(g*dy) - xhat * mean(g*dy*xhat))
//                               with DUAL_DX, the same value times the dropout mask also into dx2 (+= with
//                               accumulate2): the gradients of both addends of a fused residual add
//   layernorm_backward_params:  per chunk of rows: part_g (chunks, D) = sum dy*xhat, part_b (chunks, D) = sum dy;
//                               with chunks = 1 it writes (or adds into) dg, db directly
//   layernorm_params_finish:    dg (D), db (D) (+)= sums over chunks, in chunk order
// Bindings: 0 params (uniform), then each entry point's buffers in the order of its comment; the fused
// residual's dropout reads its seed (u32, seeds[seed_index]) at binding 8.
//!include rng.wgsl
// Row kernels: workgroup 256 = (256 / LANES) rows x LANES threads (LANES an override, a power of two <= 256,
// picked by the launcher from D); the LANES threads of a row stride over D and reduce by a fixed tree in
// workgroup memory; grid folded into y. Mean and variance are two passes (variance of the centred values).
// shaders/layernorm_subgroups.wgsl includes this file and adds subgroup versions of the row kernels.
// Param kernels: workgroup (64, 4) = 64 columns x 4 row lanes over ROWS rows; finish: one thread per column.

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
  accumulate: u32,      // 1: gradient outputs are added into, 0: overwritten
  chunks: u32,          // row chunks of the param reduction
  rows_per_chunk: u32,
  accumulate2: u32,     // DUAL_DX: 1 adds into dx2
  stream: u32,          // ADD_RESIDUAL / DUAL_DX: the residual dropout's stream, rate and seed
  rate: f32,
  seed_index: u32,
}

override ADD_RESIDUAL: bool = false;
override DUAL_DX: bool = false;

@group(0) @binding(0) var<uniform> params: Params;

// layernorm_forward: 1 y, 2 mean_out, 3 rstd_out, 4 x, 5 g, 6 b
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd_out: array<f32>;
@group(0) @binding(4) var<storage, read> x_fwd: array<f32>;
@group(0) @binding(5) var<storage, read> g_fwd: array<f32>;
@group(0) @binding(6) var<storage, read> b_fwd: array<f32>;
@group(0) @binding(7) var<storage, read_write> x2_sum: array<f32>;  // ADD_RESIDUAL (else any buffer)

// layernorm_backward_input: 1 dx, 2 dy, 3 x, 4 g, 5 mean, 6 rstd
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read> mean: array<f32>;
@group(0) @binding(6) var<storage, read> rstd: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx2: array<f32>;  // DUAL_DX (else any buffer)
@group(0) @binding(8) var<storage, read> seeds: array<u32>;  // ADD_RESIDUAL, DUAL_DX (else any buffer)

// The residual dropout's multiplier of element i (1 at rate 0), from the step's seed.
fn residual_scale(seed: u32, i: u32) -> f32 {
  if (params.rate <= 0.0) { return 1.0; }
  return dropout_scale(seed, params.stream, i, params.rate);
}

// layernorm_backward_params: 1 part_g, 2 part_b, 3 dy, 4 x, 5 mean, 6 rstd
// layernorm_params_finish:   1 part_g (dg), 2 part_b (db), 3 fin_g (partials), 4 fin_b (partials)
@group(0) @binding(1) var<storage, read_write> part_g: array<f32>;
@group(0) @binding(2) var<storage, read_write> part_b: array<f32>;
@group(0) @binding(3) var<storage, read> dy_p: array<f32>;
@group(0) @binding(4) var<storage, read> x_p: array<f32>;
@group(0) @binding(5) var<storage, read> mean_p: array<f32>;
@group(0) @binding(6) var<storage, read> rstd_p: array<f32>;
@group(0) @binding(3) var<storage, read> fin_g: array<f32>;
@group(0) @binding(4) var<storage, read> fin_b: array<f32>;

const WG = 256u;
override LANES: u32 = 32u;  // threads per row in the row kernels
var<workgroup> red: array<vec2f, 256>;

// Sum of v over the LANES threads of this thread's row, in a fixed tree order (deterministic). Call from
// uniform control flow.
fn row_sum2(v: vec2f, lid: u32) -> vec2f {
  let lane = lid % LANES;
  red[lid] = v;
  workgroupBarrier();
  for (var s = LANES / 2u; s > 0u; s >>= 1u) {
    if (lane < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[lid - lane];
  workgroupBarrier();
  return total;
}

fn row_index(wg: vec3u, groups: vec3u) -> u32 {
  return wg.x + wg.y * groups.x;
}

// First row of this workgroup's block of 256 / LANES rows.
fn first_row(wg: vec3u, groups: vec3u) -> u32 {
  return row_index(wg, groups) * (WG / LANES);
}

// Row pieces shared with the subgroup kernels: each thread takes the elements lane, lane + stride, ... of
// a row; every loop runs the same trip count on all threads of the row, so the reductions after it are
// reached together.

// The LayerNorm's input at element i: x, or x + dropout(x2) (dropout, then residualAdd, in f32).
fn x_value(i: u32) -> f32 {
  if (ADD_RESIDUAL) { return x_fwd[i] + x2_sum[i] * residual_scale(seeds[params.seed_index], i); }
  return x_fwd[i];
}

// This thread's part of sum x over the row.
fn forward_part_sum(row: u32, lane: u32, stride: u32) -> f32 {
  let dim = params.dim;
  let base = row * dim;
  var s = 0.0;
  for (var k = 0u; k < dim; k += stride) {
    let d = k + lane;
    if (d < dim) { s += x_value(base + d); }
  }
  return s;
}

// This thread's part of sum (x - mu)^2 over the row.
fn forward_part_sq(row: u32, lane: u32, stride: u32, mu: f32) -> f32 {
  let dim = params.dim;
  let base = row * dim;
  var q = 0.0;
  for (var k = 0u; k < dim; k += stride) {
    let d = k + lane;
    if (d < dim) {
      let c = x_value(base + d) - mu;
      q += c * c;
    }
  }
  return q;
}

// y of the row from its mean and rstd; lane 0 also saves them.
fn forward_store(row: u32, lane: u32, stride: u32, mu: f32, r: f32) {
  let dim = params.dim;
  let base = row * dim;
  for (var k = 0u; k < dim; k += stride) {
    let d = k + lane;
    if (d < dim) {
      let xv = x_value(base + d);
      y[base + d] = (xv - mu) * r * g_fwd[d] + b_fwd[d];
      if (ADD_RESIDUAL) { x2_sum[base + d] = xv; }
    }
  }
  if (lane == 0u) {
    mean_out[row] = mu;
    rstd_out[row] = r;
  }
}

// This thread's part of (sum g*dy, sum g*dy*xhat) over the row.
fn backward_input_part(row: u32, lane: u32, stride: u32) -> vec2f {
  let dim = params.dim;
  let base = row * dim;
  let mu = mean[row];
  let r = rstd[row];
  var acc = vec2f(0.0);
  for (var k = 0u; k < dim; k += stride) {
    let d = k + lane;
    if (d < dim) {
      let gdy = g[d] * dy[base + d];
      acc += vec2f(gdy, gdy * (x[base + d] - mu) * r);
    }
  }
  return acc;
}

// dx of the row from sums = (sum g*dy, sum g*dy*xhat) / D.
fn backward_input_store(row: u32, lane: u32, stride: u32, sums: vec2f) {
  let dim = params.dim;
  let base = row * dim;
  let mu = mean[row];
  let r = rstd[row];
  for (var k = 0u; k < dim; k += stride) {
    let d = k + lane;
    if (d < dim) {
      let xhat = (x[base + d] - mu) * r;
      let v = r * (g[d] * dy[base + d] - sums.x - xhat * sums.y);
      if (params.accumulate == 1u) {
        dx[base + d] += v;
      } else {
        dx[base + d] = v;
      }
      if (DUAL_DX) {
        let v2 = v * residual_scale(seeds[params.seed_index], base + d);
        if (params.accumulate2 == 1u) {
          dx2[base + d] += v2;
        } else {
          dx2[base + d] = v2;
        }
      }
    }
  }
}

@compute @workgroup_size(256)
fn layernorm_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let row = first_row(wg, groups) + lid / LANES;
  let lane = lid % LANES;
  let live = row < params.rows;  // no early return: the reductions hold barriers
  let dim = f32(params.dim);
  var s = 0.0;
  if (live) { s = forward_part_sum(row, lane, LANES); }
  let mu = row_sum2(vec2f(s, 0.0), lid).x / dim;
  var q = 0.0;
  if (live) { q = forward_part_sq(row, lane, LANES, mu); }
  let r = inverseSqrt(row_sum2(vec2f(q, 0.0), lid).x / dim + params.eps);
  if (live) { forward_store(row, lane, LANES, mu, r); }
}

@compute @workgroup_size(256)
fn layernorm_backward_input(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                            @builtin(local_invocation_index) lid: u32) {
  let row = first_row(wg, groups) + lid / LANES;
  let lane = lid % LANES;
  let live = row < params.rows;
  var acc = vec2f(0.0);
  if (live) { acc = backward_input_part(row, lane, LANES); }
  let sums = row_sum2(acc, lid) / f32(params.dim);
  if (live) { backward_input_store(row, lane, LANES, sums); }
}

fn store_param(i: u32, vg: f32, vb: f32) {
  if (params.accumulate == 1u) {
    part_g[i] += vg;
    part_b[i] += vb;
  } else {
    part_g[i] = vg;
    part_b[i] = vb;
  }
}

@compute @workgroup_size(64, 4)
fn layernorm_backward_params(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let dim = params.dim;
  let col = wg.x * 64u + lid.x;
  let chunk = wg.y;
  let row0 = chunk * params.rows_per_chunk;
  let row1 = min(row0 + params.rows_per_chunk, params.rows);
  var acc = vec2f(0.0);  // (sum dy*xhat, sum dy)
  if (col < dim) {
    for (var r = row0 + lid.y; r < row1; r += 4u) {
      let d = dy_p[r * dim + col];
      acc += vec2f(d * (x_p[r * dim + col] - mean_p[r]) * rstd_p[r], d);
    }
  }
  red[lid.y * 64u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && col < dim) {
    let t = (red[lid.x] + red[64u + lid.x]) + (red[128u + lid.x] + red[192u + lid.x]);
    store_param(chunk * dim + col, t.x, t.y);
  }
}

@compute @workgroup_size(256)
fn layernorm_params_finish(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let dim = params.dim;
  if (col >= dim) { return; }
  var sg = 0.0;
  var sb = 0.0;
  for (var c = 0u; c < params.chunks; c++) {
    sg += fin_g[c * dim + col];
    sb += fin_b[c * dim + col];
  }
  store_param(col, sg, sb);
}
