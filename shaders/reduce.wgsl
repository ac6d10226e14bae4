// Column sums for bias gradients, deterministic (fixed order, no atomics), in two stages.
//   column_sum_partial: part (batch, chunks, cols) = sum over each chunk of rows of inp (batch, rows, cols);
//                       with chunks = 1 it writes (or adds into) the final out (batch, cols) directly.
//   column_sum_finish:  out (batch, cols) (+)= sum over chunks, in chunk order, of part (batch, chunks, cols)
//   segment_finish:     the finishes of many reductions in one dispatch (a training step's parameter-gradient
//                       reductions: LayerNorm dg/db, dkappa/dalpha): for segment s (workgroup s) of the
//                       table (u32, 7 words each: src, chunks, cols, chunk_stride, col_stride, dst, accumulate),
//                       out[dst + j] (+)= sum over c < chunks, in order, of inp[src + c * chunk_stride +
//                       j * col_stride], j < cols (partials (chunks, cols) or, transposed, (cols, chunks));
//                       params.chunks is the segment count. 256 threads stride over the columns.
// Bindings: 0 params (uniform), 1 out (read_write), 2 inp; segment_finish also 3 table.
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

@group(0) @binding(3) var<storage, read> table: array<u32>;

@compute @workgroup_size(256)
fn segment_finish(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (wg.x >= params.chunks) { return; }
  let t = wg.x * 7u;
  let src = table[t];
  let chunks = table[t + 1u];
  let cols = table[t + 2u];
  let chunk_stride = table[t + 3u];
  let col_stride = table[t + 4u];
  let dst = table[t + 5u];
  let accumulate = table[t + 6u] == 1u;
  for (var j = lid; j < cols; j += 256u) {
    var s = 0.0;
    for (var c = 0u; c < chunks; c++) {
      s += inp[src + c * chunk_stride + j * col_stride];
    }
    if (accumulate) {
      out[dst + j] += s;
    } else {
      out[dst + j] = s;
    }
  }
}
