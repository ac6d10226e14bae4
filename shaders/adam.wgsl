// Adam update over params[offset .. offset + count) of the flat buffers, PyTorch's torch.optim.Adam form
// (weight_decay 0, amsgrad off), per element j with g = grads[j] * status.clip_scale:
//   m = lerp(m, g, 1 - beta1) = m + (1 - beta1) (g - m)        (exp_avg.lerp_)
//   v = v * beta2 + (1 - beta2) g g                            (exp_avg_sq.mul_().addcmul_())
//   p = p - (lr / bias_correction1) * (m / (sqrt(v) / sqrt(bias_correction2) + eps))   (param.addcdiv_)
// which equals model.md's p -= lr * m_hat / (sqrt(v_hat) + eps) up to rounding.
// Nothing is written when status.nonfinite != 0 (params and moments keep their last good values).
// Bindings: 0 config (uniform), 1 schedule (read; rewritten by the caller each step:
//   [0] step t, [1] 1 - beta1^t, [2] sqrt(1 - beta2^t), [3] unused, [4 + g] lr of parameter group g;
//   the bias corrections are computed on the CPU in f64, as PyTorch does in Python),
//   2 status (read; the step status of grad_norm.wgsl), 3 params, 4 grads (read), 5 m, 6 v (flat buffers).
// One thread per element, 256 per workgroup, 1-D grid folded into y (linearGrid in kernel.ts).

struct Config {
  offset: u32,
  count: u32,
  group: u32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
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
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<storage, read_write> m: array<f32>;
@group(0) @binding(6) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn adam_update(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= config.count || status.nonfinite != 0u) { return; }
  let j = config.offset + i;
  let g = grads[j] * status.clip_scale;
  let m_old = m[j];
  let m_new = m_old + config.one_minus_beta1 * (g - m_old);
  let v_new = v[j] * config.beta2 + config.one_minus_beta2 * g * g;
  let denom = sqrt(v_new) / schedule.bias_correction2_sqrt + config.eps;
  let step_size = schedule.lr[config.group] / schedule.bias_correction1;
  m[j] = m_new;
  v[j] = v_new;
  params[j] = params[j] - step_size * (m_new / denom);
}
