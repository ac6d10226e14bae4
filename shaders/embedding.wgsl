// Token embedding with sinusoidal positions (model.md "Shared pieces"), forward and a deterministic backward.
//   embedding_forward:  out (B*T, D) = embed (V, D)[tok] * sqrt(D) + pe (L, D)[t], t = row % T
//                       (pe is a table built once on the CPU; tokens outside [0, V) embed as zero)
//   embedding_sort:     sorted (2, B*T): row 0 the positions ordered by (token, position), row 1 their tokens
//                       (tokens outside [0, V) as V). Each position's rank is counted against every key
//                       token * B*T + position (tiles of 256 in workgroup memory, 4 keys per compare):
//                       O((B*T)^2) compares, no atomics, a stable and deterministic order.
//   embedding_forward_sort: both in one dispatch (a training step: the sort needs only the tokens): the
//                       first fwd_groups workgroups run embedding_forward, then dropout (shaders/dropout.wgsl's
//                       mask: seeds[seed_index], stream, rate, the element's flat index), the rest embedding_sort
//   embedding_backward: dembed (V, D) += sqrt(D) * sum over the positions of each token of dout (B*T, D),
//                       in position order; one workgroup per sorted index, active only at the start of a
//                       token's run (grid B*T, folded into y), threads over D with private accumulators;
//                       with rate > 0, dout times the forward's dropout mask (the dropout's backward).
// Bindings: 0 params (uniform), then each entry point's buffers in the order of its comment.

struct Params {
  rows: u32,   // B*T
  seq: u32,    // T
  dim: u32,    // D
  vocab: u32,  // V
  scale: f32,  // sqrt(D)
  fwd_groups: u32, // embedding_forward_sort: workgroups of the forward part
  stream: u32,     // the embedding dropout (embedding_forward_sort, embedding_backward); rate 0: none
  rate: f32,
  seed_index: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// embedding_forward: 1 out, 2 tokens, 3 embed, 4 pe
// embedding_sort: 1 sorted (write), 2 tokens
// embedding_forward_sort: 1 out, 2 tokens, 3 embed, 4 pe, 5 sorted_out (write), 6 seeds
// embedding_backward: 1 dembed, 2 sorted_in, 3 dout, 4 seeds_b
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<i32>;
@group(0) @binding(3) var<storage, read> embed: array<f32>;
@group(0) @binding(4) var<storage, read> pe: array<f32>;
@group(0) @binding(1) var<storage, read_write> sorted: array<i32>;
@group(0) @binding(1) var<storage, read_write> dembed: array<f32>;
@group(0) @binding(2) var<storage, read> sorted_in: array<i32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read_write> sorted_out: array<i32>;
@group(0) @binding(6) var<storage, read> seeds: array<u32>;
@group(0) @binding(4) var<storage, read> seeds_b: array<u32>;
//!include rng.wgsl

// The embedding dropout's multiplier of element i (1 at rate 0).
fn drop_scale(seed: u32, i: u32) -> f32 {
  if (params.rate <= 0.0) { return 1.0; }
  return dropout_scale(seed, params.stream, i, params.rate);
}

const BWD_WG = 64u;
const BWD_ACC = 16u;  // D <= BWD_WG * BWD_ACC = 1024

fn in_vocab(tok: i32) -> bool {
  return tok >= 0 && u32(tok) < params.vocab;
}

@compute @workgroup_size(256)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  forward_element(gid.x + gid.y * groups.x * 256u);
}

fn forward_element(i: u32) {
  forward_element_scaled(i, 1.0);
}

// out[i] = (embed[tok] * sqrt(D) + pe) * scale (scale: 1, or a dropout multiplier).
fn forward_element_scaled(i: u32, scale: f32) {
  let dim = params.dim;
  if (i >= params.rows * dim) { return; }
  let row = i / dim;
  let d = i % dim;
  let tok = tokens[row];
  var e = 0.0;
  if (in_vocab(tok)) { e = embed[u32(tok) * dim + d]; }
  out[i] = (e * params.scale + pe[(row % params.seq) * dim + d]) * scale;
}

var<workgroup> tile: array<vec4u, 64>;  // 256 sort keys, padded with 0xffffffff past the end

// Sort key of position n: token * rows + n, with tokens outside [0, V) mapped to V (then skipped).
// The launcher checks (V + 1) * rows < 2^32, so keys are distinct and order by (token, position).
fn sort_key(n: u32) -> u32 {
  let tok = tokens[n];
  let t = select(params.vocab, u32(tok), in_vocab(tok));
  return t * params.rows + n;
}

// Rank of position n (this thread's) among all sort keys, and its key. Call from uniform control flow.
fn sort_rank(n: u32, lid: u32) -> vec2u {
  let rows = params.rows;
  var key = 0u;
  if (n < rows) { key = sort_key(n); }
  var rank = 0u;
  for (var base = 0u; base < rows; base += 256u) {
    var k = 0xffffffffu;
    if (base + lid < rows) { k = sort_key(base + lid); }
    tile[lid / 4u][lid % 4u] = k;
    workgroupBarrier();
    var below = vec4u(0u);
    for (var t = 0u; t < 64u; t++) {
      below += select(vec4u(0u), vec4u(1u), tile[t] < vec4u(key));
    }
    rank += below.x + below.y + below.z + below.w;
    workgroupBarrier();
  }
  return vec2u(rank, key);
}

@compute @workgroup_size(256)
fn embedding_sort(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                  @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let n = (wg.x + wg.y * groups.x) * 256u + lid;
  let rk = sort_rank(n, lid);
  if (n < rows) {
    sorted[rk.x] = i32(n);
    sorted[rows + rk.x] = i32(rk.y / rows);
  }
}

@compute @workgroup_size(256)
fn embedding_forward_sort(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                          @builtin(local_invocation_index) lid: u32) {
  let w = wg.x + wg.y * groups.x;
  if (w < params.fwd_groups) {
    let i = w * 256u + lid;
    forward_element_scaled(i, drop_scale(seeds[params.seed_index], i));
    return;
  }
  let rows = params.rows;
  let n = (w - params.fwd_groups) * 256u + lid;
  let rk = sort_rank(n, lid);
  if (n < rows) {
    sorted_out[rk.x] = i32(n);
    sorted_out[rows + rk.x] = i32(rk.y / rows);
  }
}

@compute @workgroup_size(64)
fn embedding_backward(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                      @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let dim = params.dim;
  let i = wg.x + wg.y * groups.x;
  if (i >= rows) { return; }
  let tok = sorted_in[rows + i];
  if ((i > 0u && sorted_in[rows + i - 1u] == tok) || !in_vocab(tok)) { return; }
  var acc: array<f32, BWD_ACC>;
  let slots = (dim + BWD_WG - 1u) / BWD_WG;
  let seed = seeds_b[params.seed_index];
  for (var j = i; j < rows; j++) {
    if (sorted_in[rows + j] != tok) { break; }
    let src = u32(sorted_in[j]) * dim;
    for (var q = 0u; q < slots; q++) {
      let d = lid + q * BWD_WG;
      if (d < dim) { acc[q] += dout[src + d] * drop_scale(seed, src + d); }
    }
  }
  let dst = u32(tok) * dim;
  for (var q = 0u; q < slots; q++) {
    let d = lid + q * BWD_WG;
    if (d < dim) { dembed[dst + d] += params.scale * acc[q]; }
  }
}
