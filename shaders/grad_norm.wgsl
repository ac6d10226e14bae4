// Global gradient L2 norm, non-finite check and clip scale over grads[offset .. offset + count), in two
// deterministic stages (fixed chunking and fixed summation order; no atomics):
//   grad_norm_partial: workgroup w sums the squares of its chunk [w*chunk, min((w+1)*chunk, count)) and
//                      flags any NaN/Inf -> partials[base + w]               grid: (groups, 1, 1)
//                      (one dispatch per binding window of whole chunks, base = its first chunk)
//   grad_norm_final:   one workgroup sums partials[0 .. groups) -> status    grid: (1, 1, 1)
// Step status (4 words, read by adam.wgsl and simplex.wgsl to skip or scale the update):
//   [0] norm f32 = sqrt(sum g^2)   [1] nonfinite u32 (1 if any g or the sum is NaN/Inf)
//   [2] clip_scale f32 = (clip > 0 && norm > clip) ? clip / norm : 1   [3] skipped u32 (+1 per non-finite run)
// Bindings: 0 params (uniform), 1 partials (read_write scratch, `groups` entries),
//           2 grads (read; partial stage) / status (read_write; final stage): binding 2 is aliased.
// 256 threads per workgroup: strided loads within a chunk, then a tree reduction in workgroup memory.

struct Params {
  offset: u32,
  count: u32,
  chunk: u32,
  groups: u32,
  clip: f32,
  halt: u32,   // 1: once a step was non-finite (status.skipped > 0), every later step is too
  base: u32,   // partial stage: the first workgroup's partial index (the range is dispatched per binding
               // window of whole chunks; offset and count are then relative to the bound window)
}

struct Partial {
  sumsq: f32,
  nonfinite: u32,
}

//!include step_status.wgsl

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> partials: array<Partial>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> status: StepStatus;

var<workgroup> wg_sum: array<f32, 256>;
var<workgroup> wg_bad: array<u32, 256>;

// NaN or +-Inf, from the exponent bits (robust to compilers that assume finite math).
fn is_nonfinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// Tree-sum wg_sum and OR wg_bad into element 0, in a fixed order.
fn reduce_workgroup(lid: u32, sum: f32, bad: u32) {
  wg_sum[lid] = sum;
  wg_bad[lid] = bad;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      wg_sum[lid] += wg_sum[lid + stride];
      wg_bad[lid] |= wg_bad[lid + stride];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn grad_norm_partial(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let start = wid.x * params.chunk;
  let end = min(start + params.chunk, params.count);
  var sum = 0.0;
  var bad = 0u;
  for (var i = start + lid; i < end; i += 256u) {
    let g = grads[params.offset + i];
    bad |= u32(is_nonfinite(g));
    sum += g * g;
  }
  reduce_workgroup(lid, sum, bad);
  if (lid == 0u) {
    partials[params.base + wid.x] = Partial(wg_sum[0], wg_bad[0]);
  }
}

@compute @workgroup_size(256)
fn grad_norm_final(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  var bad = 0u;
  for (var w = lid; w < params.groups; w += 256u) {
    sum += partials[w].sumsq;
    bad |= partials[w].nonfinite;
  }
  reduce_workgroup(lid, sum, bad);
  if (lid == 0u) {
    let sumsq = wg_sum[0];
    let halted = params.halt != 0u && status.skipped > 0u;
    let nonfinite = wg_bad[0] | u32(is_nonfinite(sumsq)) | u32(halted);
    let norm = sqrt(sumsq);
    let clipping = params.clip > 0.0 && norm > params.clip && nonfinite == 0u;
    status.norm = norm;
    status.nonfinite = nonfinite;
    status.clip_scale = select(1.0, params.clip / norm, clipping);
    status.skipped += nonfinite;
  }
}
