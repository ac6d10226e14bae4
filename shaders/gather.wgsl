// Row gather (forward only: decoding reads it, nothing trains through it).
//   gather_rows: out (R, C) = inp[index[r], :] for r in 0 .. R; an index outside [0, rows of inp) gives a
//                zero row (never a read out of bounds).
// Used by the decoder graph of translation to take each hypothesis's state at the position being decoded
// before the tied output projection, so the logits are (R, V) instead of (R*T, V).
// Bindings: 0 params (uniform), 1 out (read_write), 2 inp (read), 3 index (read, i32).
// One thread per output element, 256 per workgroup, 1-D grid folded into y (linearGrid in kernel.ts).

struct Params {
  rows: u32,     // R
  cols: u32,     // C
  inp_rows: u32, // rows of inp
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> index: array<i32>;

@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= params.rows * params.cols) { return; }
  let r = i / params.cols;
  let c = i % params.cols;
  let src = index[r];
  if (src < 0 || u32(src) >= params.inp_rows) {
    out[i] = 0.0;
    return;
  }
  out[i] = inp[u32(src) * params.cols + c];
}
