// Adam update over params[offset .. offset + count) of the flat buffers (one parameter group's learning
// rate, or two consecutive groups' split at config.split: all of a step's groups in one dispatch), PyTorch's torch.optim.Adam form
// (weight_decay 0, amsgrad off), per element j with g = grads[j] * status.clip_scale:
//   m = lerp(m, g, 1 - beta1) = m + (1 - beta1) (g - m)        (exp_avg.lerp_)
//   v = v * beta2 + (1 - beta2) g g                            (exp_avg_sq.mul_().addcmul_())
//   p = p - (lr / bias_correction1) * (m / (sqrt(v) / sqrt(bias_correction2) + eps))   (param.addcdiv_)
// which equals model.md's p -= lr * m_hat / (sqrt(v_hat) + eps) up to rounding.
// Nothing is written when status.nonfinite != 0 (params and moments keep their last good values).
// adam_check / adam_check_final guard the update itself: before any range is updated, adam_check computes
// the same values without writing them and flags, per workgroup, any non-finite p, m or v (a finite
// gradient times a huge learning rate overflows); adam_check_final ORs the flags into status.nonfinite
// (value 2: "the update", 1 stays "the gradient") so that no adam_update of the step writes anything.
// Bindings: 0 config (uniform), 1 schedule (read; rewritten by the caller each step:
//   [0] step t, [1] 1 - beta1^t, [2] sqrt(1 - beta2^t), [3] unused, [4 + g] lr of parameter group g;
//   the bias corrections are computed on the CPU in f64, as PyTorch does in Python),
//   2 status (read; the step status of grad_norm.wgsl), 3 params, 4 grads (read), 5 m, 6 v (flat buffers).
// One thread per element, 256 per workgroup, 1-D grid folded into y (linearGrid in kernel.ts).
// adam_check: workgroup w scans its chunk [w*chunk, min((w+1)*chunk, count)) with strided loads and writes
// flags[flag_base + w]; grid (groups, 1, 1). adam_check_final: one workgroup over the flags[0 .. count),
// bound at 1, and the status read_write at 2 (aliases, as in grad_norm.wgsl); grid (1, 1, 1).

struct Config {
  offset: u32,
  count: u32,
  group: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  chunk: u32,       // adam_check only: elements per workgroup
  flag_base: u32,   // adam_check only: this range's first flag
  split: u32,       // elements i >= split (of this dispatch's range) use parameter group group2
  group2: u32,      //   (two consecutive parameter groups in one dispatch; split = count for one)
}

struct Schedule {
  step: f32,
  bias_correction1: f32,
  bias_correction2_sqrt: f32,
  unused: f32,
  lr: array<f32>,
}

//!include step_status.wgsl

@group(0) @binding(0) var<uniform> config: Config;
@group(0) @binding(1) var<storage, read> schedule: Schedule;
@group(0) @binding(2) var<storage, read> status: StepStatus;
@group(0) @binding(2) var<storage, read_write> status_rw: StepStatus;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<storage, read_write> m: array<f32>;
@group(0) @binding(6) var<storage, read_write> v: array<f32>;

@group(0) @binding(7) var<storage, read_write> flags: array<u32>;
@group(0) @binding(1) var<storage, read_write> final_flags: array<u32>; // adam_check_final's view of flags

// The new (p, m, v) of element i of the range (j = offset + i in the bound window): the one formula both
// the check and the update use.
fn adam_values(i: u32) -> vec3f {
  let j = config.offset + i;
  let group = select(config.group, config.group2, i >= config.split);
  let g = grads[j] * status.clip_scale;
  let m_old = m[j];
  let m_new = m_old + config.one_minus_beta1 * (g - m_old);
  let v_new = v[j] * config.beta2 + config.one_minus_beta2 * g * g;
  let denom = sqrt(v_new) / schedule.bias_correction2_sqrt + config.eps;
  let step_size = schedule.lr[group] / schedule.bias_correction1;
  return vec3f(params[j] - step_size * (m_new / denom), m_new, v_new);
}

@compute @workgroup_size(256)
fn adam_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= config.count || status.nonfinite != 0u) { return; }
  let j = config.offset + i;
  let next = adam_values(i);
  params[j] = next.x;
  m[j] = next.y;
  v[j] = next.z;
}

// NaN or +-Inf, from the exponent bits (robust to compilers that assume finite math).
fn is_nonfinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

var<workgroup> wg_bad: array<u32, 256>;

fn or_workgroup(lid: u32, bad: u32) -> u32 {
  wg_bad[lid] = bad;
  workgroupBarrier();
  for (var stride = 128u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { wg_bad[lid] |= wg_bad[lid + stride]; }
    workgroupBarrier();
  }
  return wg_bad[0];
}

@compute @workgroup_size(256)
fn adam_check(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let start = wid.x * config.chunk;
  let end = min(start + config.chunk, config.count);
  var bad = 0u;
  if (status.nonfinite == 0u) {
    for (var i = start + lid; i < end; i += 256u) {
      let next = adam_values(i);
      bad |= u32(is_nonfinite(next.x) || is_nonfinite(next.y) || is_nonfinite(next.z));
    }
  }
  let any = or_workgroup(lid, bad);
  if (lid == 0u) { flags[config.flag_base + wid.x] = any; }
}

@compute @workgroup_size(256)
fn adam_check_final(@builtin(local_invocation_index) lid: u32) {
  var bad = 0u;
  for (var w = lid; w < config.count; w += 256u) { bad |= final_flags[w]; }
  let any = or_workgroup(lid, bad);
  if (lid == 0u && any != 0u && status_rw.nonfinite == 0u) {
    status_rw.nonfinite = 2u;
    status_rw.skipped += 1u;
  }
}
