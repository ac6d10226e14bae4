// Elementwise ops of a training step, forward and backward side by side.
//   add_forward:    out (n) = a (n) + b (n)                          (residual add)
//   relu_backward:  dinp (n) = dout (n) * (pre (n) > 0)              (ReLU backward from the pre-activation,
//                   or equally from the post-activation: relu(x) > 0 exactly when x > 0)
//   add_into:       out (n) += a (n)                                 (gradient accumulation)
//   copy:           out (n) = a (n)
//   fill_zero:      out[offset .. offset + n) = 0
// Bindings: 0 params (uniform), then the buffers in the order of each entry point's comment.
// One thread per element, 256 per workgroup, 1-D grid folded into y (see linearGrid in kernel.ts).

struct Params {
  n: u32,
  offset: u32, // fill_zero only
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

// out = a + b
@compute @workgroup_size(256)
fn add_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = a[i] + b[i];
}

// out = dinp, a = dout, b = pre-activation
@compute @workgroup_size(256)
fn relu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = select(0.0, a[i], b[i] > 0.0);
}

// out += a (gradient accumulation)
@compute @workgroup_size(256)
fn add_into(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = out[i] + a[i];
}

// out = a (the first gradient contribution that another op also receives)
@compute @workgroup_size(256)
fn copy(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = a[i];
}

// out[offset + i] = 0 for i < n (params.offset is the second field)
@compute @workgroup_size(256)
fn fill_zero(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[params.offset + i] = 0.0;
}
