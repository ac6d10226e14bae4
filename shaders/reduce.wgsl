// Column sums for bias gradients, deterministic (fixed order, no atomics), in two stages.
//   column_sum_partial: part (batch, chunks, cols) = sum over each chunk of rows of inp (batch, rows, cols);
//                       with chunks = 1 it writes (or adds into) the final out (batch, cols) directly.
//   column_sum_finish:  out (batch, cols) (+)= sum over chunks, in chunk order, of part (batch, chunks, cols)
// Bindings: 0 params (uniform), 1 out (read_write), 2 inp.
// Stage 1: workgroup (64, 4) = 64 columns x 4 row lanes over ROWS rows of one batch entry;
//          grid (ceil(cols/64), chunks, batch). Lane sums are added in lane order.
// Stage 2: one thread per output element (batch * cols), 256 per workgroup, 1-D grid folded into y.

struct Params {
  rows: u32,           // rows summed per batch entry
  cols: u32,
  chunks: u32,         // row chunks (stage 1 grid y); stage 2 sums this many partials
  rows_per_chunk: u32,
  accumulate: u32,     // 1: out += sum, 0: out = sum
  outputs: u32,        // batch * cols (stage 2 thread count)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;

const COLS = 64u;
const LANES = 4u;

var<workgroup> lane_sums: array<f32, 256>;

fn store(i: u32, value: f32) {
  if (params.accumulate == 1u) {
    out[i] += value;
  } else {
    out[i] = value;
  }
}

@compute @workgroup_size(64, 4)
fn column_sum_partial(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wg.x * COLS + lid.x;
  let chunk = wg.y;
  let batch = wg.z;
  let row0 = chunk * params.rows_per_chunk;
  let row1 = min(row0 + params.rows_per_chunk, params.rows);
  var s = 0.0;
  if (col < params.cols) {
    let base = batch * params.rows * params.cols + col;
    for (var r = row0 + lid.y; r < row1; r += LANES) {
      s += inp[base + r * params.cols];
    }
  }
  lane_sums[lid.y * COLS + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && col < params.cols) {
    let total = (lane_sums[lid.x] + lane_sums[COLS + lid.x]) + (lane_sums[2u * COLS + lid.x] + lane_sums[3u * COLS + lid.x]);
    store((batch * params.chunks + chunk) * params.cols + col, total);
  }
}

@compute @workgroup_size(256)
fn column_sum_finish(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  let cols = params.cols;
  let chunks = params.chunks;
  if (i >= params.outputs) { return; }
  let batch = i / cols;
  let col = i % cols;
  var s = 0.0;
  for (var c = 0u; c < chunks; c++) {
    s += inp[(batch * chunks + c) * cols + col];
  }
  store(i, s);
}
