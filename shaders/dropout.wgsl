// Dropout, forward and backward: the same multiply by a regenerated mask (nothing is stored).
//   dropout_apply:    out (n) = inp (n) * dropout_scale(seed, stream, i, rate)
//                     forward: out = dropout(x); backward: dinp = dout * (the same scale)
//   dropout_inplace:  out (n) *= dropout_scale(seed, stream, i, rate)   (same, in place)
// Bindings: 0 params (uniform), 1 seeds (storage, read: array<u32>, the caller rewrites
// seeds[params.seed_index] each step), 2 out (read_write), 3 inp (read; dropout_apply only).
// i is the element's flat index in the tensor, so forward and backward draw the same mask.
// One thread per element, 256 per workgroup, 1-D grid folded into y (linearGrid in kernel.ts).
//!include rng.wgsl

struct Params {
  n: u32,
  stream: u32,
  rate: f32,
  seed_index: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

fn scale_at(i: u32) -> f32 {
  return dropout_scale(seeds[params.seed_index], params.stream, i, params.rate);
}

@compute @workgroup_size(256)
fn dropout_apply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = inp[i] * scale_at(i);
}

@compute @workgroup_size(256)
fn dropout_inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.n) { return; }
  out[i] = out[i] * scale_at(i);
}
