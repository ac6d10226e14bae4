// The weighted block's branch weights (model.md "Weighted layers"), forward and backward. Branch tensors are
// branch-major (M, len) with len = N*D; a weight vector w (M) sits at element params.w_offset of its buffer.
//   branch_scale:     out (M, len) (+)= w[m] * inp (M, len)     kappa scale forward (a = kappa*h) and
//                                                               its dh = kappa*da
//   branch_broadcast: out (M, len) (+)= w[m] * inp (len)        alpha sum backward df = alpha*dy
//   branch_sum:       out (len) (+)= sum_m w[m] * inp (M, len)  alpha sum forward y, m in order 0..M-1
//   branch_dot_partials: part (M, chunks) = per chunk of len, sum a*b with a (M or 1, len), b (M, len)
//                        (dkappa from da*h, dalpha from dy*f); with chunks = 1 written (or added) to the
//                        weight gradient at params.w_offset directly
//   branch_dot_finish:   dw[w_offset + m] (+)= sum over chunks of part (M, chunks), fixed tree order
//   branch_scale_dot:    both halves of a weight's backward in one pass over (M, len):
//                        out (M, len) (+)= w[m] * a[m*a_stride + k] and the dot partials of a*b as
//                        branch_dot_partials (into part, or the gradient at dw_offset when chunks = 1):
//                        kappa (dh = kappa*da, dkappa from da*h) and alpha (df = alpha*dy, dalpha from dy*f)
//   weights_softmax_forward / _backward, weights_uniform: effective weights of (rows, M) vectors.
// Bindings: 0 params (uniform), then the buffers in the order of each entry point's comment.
// Elementwise kernels: one thread per element, 256 per workgroup, 1-D grid folded into y.
// Dot partials: 256 threads over a chunk of params.chunk_len elements, grid (chunks, M); finish: one
// workgroup per m. Weight-vector kernels: one thread per vector (M is small).

struct Params {
  m: u32,          // branches
  len: u32,        // elements per branch (N*D)
  w_offset: u32,   // element offset of the weight vector (or of its gradient, for the dot kernels)
  accumulate: u32, // 1: out += value, 0: out = value
  chunks: u32,     // dot: chunks per branch
  chunk_len: u32,  // dot: elements per chunk
  a_stride: u32,   // dot: branch stride of a (len, or 0 when a is shared by all branches)
  dw_offset: u32,  // branch_scale_dot with chunks = 1: element offset of the weight gradient in part
  accumulate_dw: u32, // branch_scale_dot with chunks = 1: 1 adds into the weight gradient
}

@group(0) @binding(0) var<uniform> params: Params;
// branch_scale, branch_broadcast, branch_sum: 1 out, 2 inp, 3 w
// branch_dot_partials: 1 out (partials or dw), 2 inp (a), 3 w (b)
// branch_dot_finish: 1 out (dw), 2 inp (partials)
// branch_scale_dot: 1 out (dh or df), 2 inp (a), 3 w, 4 dot_b (b), 5 part (partials or dw)
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> dot_b: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;

const WG = 256u;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

fn store(i: u32, value: f32) {
  if (params.accumulate == 1u) {
    out[i] += value;
  } else {
    out[i] = value;
  }
}

@compute @workgroup_size(256)
fn branch_scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.m * params.len) { return; }
  store(i, w[params.w_offset + i / params.len] * inp[i]);
}

@compute @workgroup_size(256)
fn branch_broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.m * params.len) { return; }
  store(i, w[params.w_offset + i / params.len] * inp[i % params.len]);
}

@compute @workgroup_size(256)
fn branch_sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.len) { return; }
  var s = 0.0;
  for (var m = 0u; m < params.m; m++) {
    s += w[params.w_offset + m] * inp[m * params.len + i];
  }
  store(i, s);
}

var<workgroup> red: array<f32, 256>;

// Sum over the workgroup in a fixed tree order. Call from uniform control flow.
fn workgroup_sum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  return red[0];
}

@compute @workgroup_size(256)
fn branch_dot_partials(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunk = wg.x;
  let m = wg.y;
  let start = chunk * params.chunk_len;
  let stop = min(start + params.chunk_len, params.len);
  let a_base = m * params.a_stride;
  let b_base = m * params.len;
  var s = 0.0;
  for (var k = start + lid; k < stop; k += WG) {
    s += inp[a_base + k] * w[b_base + k];
  }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) { store(params.w_offset + m * params.chunks + chunk, total); }
}

@compute @workgroup_size(256)
fn branch_dot_finish(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = wg.x;
  var s = 0.0;
  for (var c = lid; c < params.chunks; c += WG) {
    s += inp[m * params.chunks + c];
  }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) { store(params.w_offset + m, total); }
}

@compute @workgroup_size(256)
fn branch_scale_dot(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let chunk = wg.x;
  let m = wg.y;
  let start = chunk * params.chunk_len;
  let stop = min(start + params.chunk_len, params.len);
  let a_base = m * params.a_stride;
  let b_base = m * params.len;
  let scale = w[params.w_offset + m];
  var s = 0.0;
  for (var k = start + lid; k < stop; k += WG) {
    let av = inp[a_base + k];
    store(b_base + k, scale * av);
    s += av * dot_b[b_base + k];
  }
  let total = workgroup_sum(s, lid);
  if (lid == 0u) {
    if (params.chunks > 1u) {
      part[m * params.chunks + chunk] = total;
    } else if (params.accumulate_dw == 1u) {
      part[params.dw_offset + m] += total;
    } else {
      part[params.dw_offset + m] = total;
    }
  }
}

// ---- Effective weights of (rows, M) vectors (model.md `weighting`): one thread per vector. ----
struct VecParams {
  rows: u32,
  m: u32,
  out_offset: u32,  // element offset of the output vectors
  in_offset: u32,   // element offset of logits (forward) or w (backward)
  in2_offset: u32,  // element offset of dw (backward)
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> vparams: VecParams;
// weights_softmax_forward: 1 wout, 2 logits; weights_softmax_backward: 1 wout (dlogits), 2 logits (w),
// 3 dw; weights_uniform: 1 wout
@group(0) @binding(1) var<storage, read_write> wout: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> dw: array<f32>;

// w = softmax(logits) per row
@compute @workgroup_size(64)
fn weights_softmax_forward(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= vparams.rows) { return; }
  let m = vparams.m;
  let src = vparams.in_offset + row * m;
  var mx = logits[src];
  for (var j = 1u; j < m; j++) { mx = max(mx, logits[src + j]); }
  var s = 0.0;
  for (var j = 0u; j < m; j++) { s += exp(logits[src + j] - mx); }
  let dst = vparams.out_offset + row * m;
  for (var j = 0u; j < m; j++) { wout[dst + j] = exp(logits[src + j] - mx) / s; }
}

// dlogits (+)= w * (dw - sum(dw * w)) per row
@compute @workgroup_size(64)
fn weights_softmax_backward(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x;
  if (row >= vparams.rows) { return; }
  let m = vparams.m;
  let wi = vparams.in_offset + row * m;
  let di = vparams.in2_offset + row * m;
  var s = 0.0;
  for (var j = 0u; j < m; j++) { s += dw[di + j] * logits[wi + j]; }
  let dst = vparams.out_offset + row * m;
  for (var j = 0u; j < m; j++) {
    let v = logits[wi + j] * (dw[di + j] - s);
    if (vparams.accumulate == 1u) {
      wout[dst + j] += v;
    } else {
      wout[dst + j] = v;
    }
  }
}

// w = 1/M everywhere (the `uniform` ablation)
@compute @workgroup_size(64)
fn weights_uniform(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= vparams.rows * vparams.m) { return; }
  wout[vparams.out_offset + i] = 1.0 / f32(vparams.m);
}
