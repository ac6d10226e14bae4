// Euclidean projection onto the probability simplex {w : w_i >= 0, sum w_i = 1} of many small vectors at
// once (kappa and alpha of every layer), in place in the flat params buffer. Sort-based algorithm of
// Wang & Carreira-Perpinan 2013 (arXiv 1101.6081), per row x (M entries):
//   u = x sorted descending; rho = max{j : u_j + (1 - sum_{i<=j} u_i) / j > 0};
//   lambda = (1 - sum_{i<=rho} u_i) / rho;  w = max(x + lambda, 0)
// Rows: (L, M), row r at params[offset + r * stride .. + M), M <= 16.
// Nothing is written when status.nonfinite != 0 (the step was skipped).
// Bindings: 0 config (uniform), 1 status (read; grad_norm.wgsl's step status), 2 params (read_write).
// One thread per row (sorting 16 values in registers), 64 threads per workgroup.

const MAX_M = 16u;

struct Config {
  offset: u32,
  rows: u32,
  m: u32,
  stride: u32,
}

//!include step_status.wgsl

@group(0) @binding(0) var<uniform> config: Config;
@group(0) @binding(1) var<storage, read> status: StepStatus;
@group(0) @binding(2) var<storage, read_write> params: array<f32>;

// The shift lambda with w = max(x + lambda, 0), from the row's entries in descending order.
fn simplex_shift(u: ptr<function, array<f32, MAX_M>>) -> f32 {
  var cumsum = 0.0;
  var lambda = 0.0;
  for (var j = 0u; j < config.m; j++) {
    cumsum += (*u)[j];
    let t = (1.0 - cumsum) / f32(j + 1u);
    if ((*u)[j] + t > 0.0) { lambda = t; } // the last j that passes is rho (j = 0 always passes)
  }
  return lambda;
}

@compute @workgroup_size(64)
fn simplex_project(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= config.rows || status.nonfinite != 0u) { return; }
  let base = config.offset + row * config.stride;
  var u: array<f32, MAX_M>;
  for (var k = 0u; k < config.m; k++) {
    // insertion sort, descending
    let x = params[base + k];
    var j = k;
    while (j > 0u && u[j - 1u] < x) {
      u[j] = u[j - 1u];
      j--;
    }
    u[j] = x;
  }
  let lambda = simplex_shift(&u);
  for (var k = 0u; k < config.m; k++) {
    params[base + k] = max(params[base + k] + lambda, 0.0);
  }
}
