// LayerNorm over the last dimension (biased variance), forward and backward; deterministic reductions.
//   layernorm_forward:          y (N, D) = (x - mean) * rstd * g (D) + b (D); saves mean (N), rstd (N)
//   layernorm_backward_input:   dx (N, D) (+)= rstd * (g*dy - mean(g*dy) - xhat * mean(g*dy*xhat))
//   layernorm_backward_params:  per chunk of rows: part_g (chunks, D) = sum dy*xhat, part_b (chunks, D) = sum dy;
//                               with chunks = 1 it writes (or adds into) dg, db directly
//   layernorm_params_finish:    dg (D), db (D) (+)= sums over chunks, in chunk order
// Bindings: 0 params (uniform), then each entry point's buffers in the order of its comment.
// Row kernels: one 256-thread workgroup per row (threads stride over D, any D), grid folded into y;
// mean and variance are two passes (variance of the centred values). Param kernels: workgroup (64, 4) =
// 64 columns x 4 row lanes over ROWS rows; finish: one thread per column.

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
  accumulate: u32,      // 1: gradient outputs are added into, 0: overwritten
  chunks: u32,          // row chunks of the param reduction
  rows_per_chunk: u32,
}

@group(0) @binding(0) var<uniform> params: Params;

// layernorm_forward: 1 y, 2 mean_out, 3 rstd_out, 4 x, 5 g, 6 b
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd_out: array<f32>;
@group(0) @binding(4) var<storage, read> x_fwd: array<f32>;
@group(0) @binding(5) var<storage, read> g_fwd: array<f32>;
@group(0) @binding(6) var<storage, read> b_fwd: array<f32>;

// layernorm_backward_input: 1 dx, 2 dy, 3 x, 4 g, 5 mean, 6 rstd
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read> mean: array<f32>;
@group(0) @binding(6) var<storage, read> rstd: array<f32>;

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
var<workgroup> red: array<vec2f, 256>;

// Sum of v over the workgroup, in a fixed tree order (deterministic). Call from uniform control flow.
fn workgroup_sum2(v: vec2f, lid: u32) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

fn row_index(wg: vec3u, groups: vec3u) -> u32 {
  return wg.x + wg.y * groups.x;
}

@compute @workgroup_size(256)
fn layernorm_forward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wg, groups);
  if (row >= params.rows) { return; }
  let dim = params.dim;
  let base = row * dim;
  var s = 0.0;
  for (var d = lid; d < dim; d += WG) { s += x_fwd[base + d]; }
  let mu = workgroup_sum2(vec2f(s, 0.0), lid).x / f32(dim);
  var q = 0.0;
  for (var d = lid; d < dim; d += WG) {
    let c = x_fwd[base + d] - mu;
    q += c * c;
  }
  let r = inverseSqrt(workgroup_sum2(vec2f(q, 0.0), lid).x / f32(dim) + params.eps);
  for (var d = lid; d < dim; d += WG) {
    y[base + d] = (x_fwd[base + d] - mu) * r * g_fwd[d] + b_fwd[d];
  }
  if (lid == 0u) {
    mean_out[row] = mu;
    rstd_out[row] = r;
  }
}

@compute @workgroup_size(256)
fn layernorm_backward_input(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                            @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wg, groups);
  if (row >= params.rows) { return; }
  let dim = params.dim;
  let base = row * dim;
  let mu = mean[row];
  let r = rstd[row];
  var acc = vec2f(0.0);  // (sum g*dy, sum g*dy*xhat)
  for (var d = lid; d < dim; d += WG) {
    let gdy = g[d] * dy[base + d];
    acc += vec2f(gdy, gdy * (x[base + d] - mu) * r);
  }
  let sums = workgroup_sum2(acc, lid) / f32(dim);
  for (var d = lid; d < dim; d += WG) {
    let xhat = (x[base + d] - mu) * r;
    let v = r * (g[d] * dy[base + d] - sums.x - xhat * sums.y);
    if (params.accumulate == 1u) {
      dx[base + d] += v;
    } else {
      dx[base + d] = v;
    }
  }
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
