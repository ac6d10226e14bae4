// The floor of the kernel bench: one thread per output, no tiling, no reuse.
//   matmul_naive:  c (M, N) = a (M, K) @ b (K, N), all dense row-major
// Bindings: 0 params (uniform), 1 c (read_write), 2 a, 3 b. Workgroup 16x16 threads over (N, M).

struct Params {
  m: u32,
  n: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

@compute @workgroup_size(16, 16)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y;
  let col = gid.x;
  if (row >= params.m || col >= params.n) { return; }
  var acc = 0.0;
  for (var p = 0u; p < params.k; p++) {
    acc += a[row * params.k + p] * b[p * params.n + col];
  }
  c[row * params.n + col] = acc;
}
