// Softmax cross-entropy with label smoothing eps over non-PAD targets (model.md "Loss"), forward and backward.
//   cross_entropy_rows:     per row n of logits (N, V) with target y = targets[n] (i32):
//                           lse[n] = log sum_v exp(logits[n, v]);
//                           row_loss[n] = (1-eps) (lse - logits[n, y]) + eps (lse - mean_v logits[n, v]),
//                           0 for PAD (y = 0) and for targets outside [0, V) (ignored, never read)
//   cross_entropy_total:    stats (2) = [sum_n row_loss / count, count], count = rows with a valid non-PAD
//                           target, counted on the GPU; loss = 0 when count = 0
//   cross_entropy_backward: dlogits (N, V) = scale * (softmax - (1-eps) onehot(y) - eps/V) / count,
//                           0 for ignored rows (and everywhere when count = 0)
// Bindings: 0 params (uniform), then each entry point's buffers in the order of its comment.
// Rows: one 256-thread workgroup per row (max, then sum exp and sum logits, fixed tree order), grid folded
// into y. Total: one workgroup. Backward: one thread per logit, 1-D grid folded into y.

struct Params {
  rows: u32,        // N
  vocab: u32,       // V
  smoothing: f32,   // eps
  scale: f32,       // dloss (1 for the plain mean loss)
}

@group(0) @binding(0) var<uniform> params: Params;
// cross_entropy_rows: 1 row_loss, 2 lse_out, 3 logits, 4 targets
@group(0) @binding(1) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse_out: array<f32>;
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read> targets: array<i32>;
// cross_entropy_total: 1 stats, 2 row_loss_in, 3 targets_t
@group(0) @binding(1) var<storage, read_write> stats: array<f32>;
@group(0) @binding(2) var<storage, read> row_loss_in: array<f32>;
@group(0) @binding(3) var<storage, read> targets_t: array<i32>;
// cross_entropy_backward: 1 dlogits, 2 logits_b, 3 targets_b, 4 lse, 5 stats_in
@group(0) @binding(1) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(2) var<storage, read> logits_b: array<f32>;
@group(0) @binding(3) var<storage, read> targets_b: array<i32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> stats_in: array<f32>;

const WG = 256u;
var<workgroup> red: array<vec2f, 256>;

fn counted(y: i32) -> bool {
  return y > 0 && u32(y) < params.vocab;
}

// Componentwise sum (or max) of v over the workgroup in a fixed tree order. Call from uniform control flow.
fn workgroup_reduce(v: vec2f, lid: u32, take_max: bool) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      if (take_max) {
        red[lid] = max(red[lid], red[lid + s]);
      } else {
        red[lid] += red[lid + s];
      }
    }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(256)
fn cross_entropy_rows(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                      @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * groups.x;
  if (row >= params.rows) { return; }
  let vocab = params.vocab;
  let base = row * vocab;
  var mx = -3.0e38;
  for (var v = lid; v < vocab; v += WG) { mx = max(mx, logits[base + v]); }
  mx = workgroup_reduce(vec2f(mx, 0.0), lid, true).x;
  var acc = vec2f(0.0);  // (sum exp(l - max), sum l)
  for (var v = lid; v < vocab; v += WG) {
    let l = logits[base + v];
    acc += vec2f(exp(l - mx), l);
  }
  let sums = workgroup_reduce(acc, lid, false);
  if (lid == 0u) {
    let log_z = mx + log(sums.x);
    let y = targets[row];
    var loss = 0.0;
    if (counted(y)) {
      let eps = params.smoothing;
      loss = (1.0 - eps) * (log_z - logits[base + u32(y)]) + eps * (log_z - sums.y / f32(vocab));
    }
    row_loss[row] = loss;
    lse_out[row] = log_z;
  }
}

@compute @workgroup_size(256)
fn cross_entropy_total(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2f(0.0);  // (sum row_loss, count)
  for (var n = lid; n < params.rows; n += WG) {
    acc += vec2f(row_loss_in[n], select(0.0, 1.0, counted(targets_t[n])));
  }
  let total = workgroup_reduce(acc, lid, false);
  if (lid == 0u) {
    stats[0] = select(0.0, total.x / total.y, total.y > 0.0);
    stats[1] = total.y;
  }
}

@compute @workgroup_size(256)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  let vocab = params.vocab;
  if (i >= params.rows * vocab) { return; }
  let row = i / vocab;
  let v = i % vocab;
  let y = targets_b[row];
  let count = stats_in[1];
  if (!counted(y) || count <= 0.0) {
    dlogits[i] = 0.0;
    return;
  }
  let eps = params.smoothing;
  let p = exp(logits_b[i] - lse[row]);
  let hit = select(0.0, 1.0 - eps, u32(y) == v);
  dlogits[i] = params.scale * (p - hit - eps / f32(vocab)) / count;
}
