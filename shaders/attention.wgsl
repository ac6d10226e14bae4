// Fused scaled-dot-product attention per head (model.md "Shared pieces"), forward and backward.
//   O_h = dropout(softmax(Q_h K_h^T * scale + mask)) V_h, scale = 1/sqrt(dk), head h = columns h*dk..(h+1)*dk
// Q, O, dO, dQ (B, Tq, *) and K, V, dK, dV (B, Tk, *): element (b, t, h, c) of a view sits at
// off + (b*T + t)*stride + h*dk + c, so Q/K/V may be column slices of one fused QKV projection.
// Mask: key j of batch row b is masked (score -inf) if tokens[b*Tk + j] == 0 (has_pad) or, with causal,
// if j > i. A query row whose keys are all masked outputs 0, has lse 0 and gets 0 gradient.
// Dropout on the probabilities: dropout_scale(seed, stream, ((b*H + h)*Tq + i)*Tk + j, rate).
// Flash-attention scheme: nothing of size T x T is stored. The forward keeps a running max and sum per
// query row (online softmax) and saves lse = max + log(sum); the backward recomputes P = exp(S - lse).
// One thread owns one row (its q or k/v row and its accumulators in registers, as vec4 column groups);
// a workgroup of 32 rows walks tiles of 16 rows of the other side staged in workgroup memory.
//   attention_forward          grid (ceil(Tq/32), B*H): 32 query rows, loops over 16-key tiles.
//   attention_backward_delta   1-D grid over B*H*Tq rows: stats = {seed, (lse, delta = rowsum(dO * O))}.
//   attention_backward_dq      grid (ceil(Tq/32), B*H): 32 query rows, loops over 16-key tiles.
//   attention_backward_dkdv    grid (ceil(Tk/32), B*H): 32 key rows, loops over 16-query tiles
//                              (_shared: the same with dK and dV in one buffer).
//   attention_probs            1-D grid over B*NP*Tq*Tk: P = exp(q.k*scale - lse) (0 where masked) of the NP
//                              heads head0.. into probs (B, NP, Tq, Tk), for inspection (no dropout).
// No atomics: every output element is written by one thread, so results are deterministic.
// dk = params.dk <= 64 (16 vec4); the override DK4 = ceil(dk/4) specializes a pipeline to it (or 0).
//!include rng.wgsl

const ROWS: u32 = 32u; // rows owned per workgroup (= threads)
const TILE: u32 = 16u; // rows of the other side per staged tile
const C4: u32 = 16u;   // vec4 column groups per staged row (dk <= 64)
const NEG: f32 = -3.0e38;
// ceil(dk/4) fixed at pipeline creation (loops unroll, row arrays live in registers), or 0: read from
// params.dk at run time (one pipeline for every head width; compiles ~3x faster on lavapipe, runs slower).
override DK4: u32 = 0u;

struct Params {
  batch: u32, heads: u32, dk: u32, tq: u32, tk: u32,
  q_off: u32, q_stride: u32, k_off: u32, k_stride: u32,
  v_off: u32, v_stride: u32, o_off: u32, o_stride: u32,
  do_off: u32, do_stride: u32, dq_off: u32, dq_stride: u32,
  dk_off: u32, dk_stride: u32, dv_off: u32, dv_stride: u32,
  causal: u32, has_pad: u32, rate: f32, stream: u32,
  seed_index: u32, scale: f32,
  head0: u32, probs_heads: u32, // attention_probs only: the heads written
}

// Backward scratch: the seed copied by the delta pass (so the dq/dkdv passes need no seeds binding)
// and (lse, delta) per query row (b*H + h)*Tq + i.
struct Stats {
  seed: u32,
  pad: u32,
  rows: array<vec2f>,
}

@group(0) @binding(0) var<uniform> params: Params;
// attention_forward: 1 q, 2 k, 3 v, 4 tokens, 5 seeds, 6 o, 7 lse.
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> tokens: array<i32>;
@group(0) @binding(5) var<storage, read> seeds: array<u32>;
@group(0) @binding(6) var<storage, read_write> o: array<f32>;
@group(0) @binding(7) var<storage, read_write> lse: array<f32>;
// attention_backward_delta: 1 o_in, 2 dout_in, 3 lse_in, 4 seeds_in, 5 stats_out.
@group(0) @binding(1) var<storage, read> o_in: array<f32>;
@group(0) @binding(2) var<storage, read> dout_in: array<f32>;
@group(0) @binding(3) var<storage, read> lse_in: array<f32>;
@group(0) @binding(4) var<storage, read> seeds_in: array<u32>;
@group(0) @binding(5) var<storage, read_write> stats_out: Stats;
// attention_backward_dq: 1 q, 2 k, 3 v, 4 tokens, 5 dout, 6 stats, 7 dq_out.
// attention_backward_dkdv: 1 q, 2 k, 3 v, 4 tokens, 5 dout, 6 stats, 7 dk_out, 8 dv_out.
// attention_backward_dkdv_shared: as dkdv with 7 dkv_out holding both dK and dV (WebGPU forbids
// binding one buffer twice for writing).
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> stats: Stats;
@group(0) @binding(7) var<storage, read_write> dq_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk_out: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> dkv_out: array<f32>;
// attention_probs: 1 q, 2 k, 3 lse_in, 4 tokens, 5 probs_out.
@group(0) @binding(5) var<storage, read_write> probs_out: array<f32>;

// Flat element index of (b, t, h, c) in a view with offset `off` and row stride `stride`, T = len.
fn at(off: u32, stride: u32, b: u32, t: u32, len: u32, h: u32, c: u32) -> u32 {
  return off + (b * len + t) * stride + h * params.dk + c;
}

// Column group c4 (columns 4*c4 .. 4*c4+3, zero past dk) of row t of a view; one loader per buffer since
// WGSL cannot pass storage arrays to functions.
fn q4(b: u32, t: u32, h: u32, c4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var x = 0u; x < 4u; x++) {
    if (4u * c4 + x < params.dk) { r[x] = q[at(params.q_off, params.q_stride, b, t, params.tq, h, 4u * c4 + x)]; }
  }
  return r;
}
fn k4(b: u32, t: u32, h: u32, c4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var x = 0u; x < 4u; x++) {
    if (4u * c4 + x < params.dk) { r[x] = k[at(params.k_off, params.k_stride, b, t, params.tk, h, 4u * c4 + x)]; }
  }
  return r;
}
fn v4(b: u32, t: u32, h: u32, c4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var x = 0u; x < 4u; x++) {
    if (4u * c4 + x < params.dk) { r[x] = v[at(params.v_off, params.v_stride, b, t, params.tk, h, 4u * c4 + x)]; }
  }
  return r;
}
fn do4(b: u32, t: u32, h: u32, c4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var x = 0u; x < 4u; x++) {
    if (4u * c4 + x < params.dk) { r[x] = dout[at(params.do_off, params.do_stride, b, t, params.tq, h, 4u * c4 + x)]; }
  }
  return r;
}

// Column groups of 4 per row: ceil(dk/4).
fn groups4() -> u32 {
  if (DK4 != 0u) { return DK4; }
  return (params.dk + 3u) / 4u;
}

// 1 if key j of batch row b exists and is not PAD.
fn key_ok(b: u32, j: u32) -> u32 {
  if (j >= params.tk) { return 0u; }
  if (params.has_pad != 0u && tokens[b * params.tk + j] == 0) { return 0u; }
  return 1u;
}

// Whether query i may attend to key j (kok = key_ok of j).
fn allowed(i: u32, j: u32, kok: u32) -> bool {
  return kok != 0u && i < params.tq && (params.causal == 0u || j <= i);
}

// Dropout multiplier of probability (b, h, i, j); bh = b*H + h.
fn drop(seed: u32, bh: u32, i: u32, j: u32) -> f32 {
  return dropout_scale(seed, params.stream, (bh * params.tq + i) * params.tk + j, params.rate);
}

// Keys past this are masked for every query of the block starting at q0 (causal early stop).
fn key_end(q0: u32) -> u32 {
  if (params.causal != 0u) { return min(params.tk, q0 + ROWS); }
  return params.tk;
}

var<workgroup> tile_a: array<vec4f, 256>; // (TILE rows, C4): K in forward and dq, Q in dkdv
var<workgroup> tile_b: array<vec4f, 256>; // (TILE rows, C4): V in forward and dq, dO in dkdv
var<workgroup> tile_ok: array<u32, 16>;   // key_ok of the staged keys
var<workgroup> tile_stat: array<vec2f, 16>; // (lse, delta) of the staged queries

// Stage keys k0 .. k0+TILE of head (b, h): K in tile_a, V in tile_b, key_ok in tile_ok.
fn stage_keys(t: u32, b: u32, h: u32, k0: u32, dk4: u32) {
  for (var e = t; e < TILE * dk4; e += ROWS) {
    let j = min(k0 + e / dk4, params.tk - 1u);
    tile_a[(e / dk4) * C4 + e % dk4] = k4(b, j, h, e % dk4);
    tile_b[(e / dk4) * C4 + e % dk4] = v4(b, j, h, e % dk4);
  }
  if (t < TILE) { tile_ok[t] = key_ok(b, k0 + t); }
}

// ---------------------------------------------------------------------------------------------------
// Forward: thread = query row qi; online softmax over keys, one key at a time.
@compute @workgroup_size(32)
fn attention_forward(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u) {
  let dk4 = groups4();
  let bh = wg.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let q0 = wg.x * ROWS;
  let qi = q0 + t;
  var qr: array<vec4f, 16>;  // q row * scale
  var acc: array<vec4f, 16>; // sum_j p_j * drop_j * v_j, p_j relative to the running max
  for (var c4 = 0u; c4 < dk4; c4++) { qr[c4] = q4(b, min(qi, params.tq - 1u), h, c4) * params.scale; }
  let seed = seeds[params.seed_index];
  var m = NEG;
  var l = 0.0;
  let kend = key_end(q0);
  for (var k0 = 0u; k0 < kend; k0 += TILE) {
    workgroupBarrier();
    stage_keys(t, b, h, k0, dk4);
    workgroupBarrier();
    for (var j = 0u; j < min(TILE, kend - k0); j++) {
      if (!allowed(qi, k0 + j, tile_ok[j])) { continue; }
      var s = 0.0;
      for (var c4 = 0u; c4 < dk4; c4++) { s += dot(qr[c4], tile_a[j * C4 + c4]); }
      let mx = max(m, s);
      let corr = exp(m - mx);
      let p = exp(s - mx);
      l = l * corr + p;
      let pd = p * drop(seed, bh, qi, k0 + j);
      for (var c4 = 0u; c4 < dk4; c4++) { acc[c4] = acc[c4] * corr + pd * tile_b[j * C4 + c4]; }
      m = mx;
    }
  }
  if (qi >= params.tq) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var c = 0u; c < params.dk; c++) { o[at(params.o_off, params.o_stride, b, qi, params.tq, h, c)] = acc[c / 4u][c % 4u] * inv; }
  lse[bh * params.tq + qi] = select(0.0, m + log(l), l > 0.0);
}

// ---------------------------------------------------------------------------------------------------
// Backward, pass 1: per query row, delta = sum_c dO * O (= rowsum(P * dP) of the softmax backward, with
// or without dropout) next to the saved lse; thread 0 also copies this step's seed.
@compute @workgroup_size(256)
fn attention_backward_delta(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = gid.x + gid.y * groups.x * 256u;
  if (n == 0u) { stats_out.seed = seeds_in[params.seed_index]; }
  if (n >= params.batch * params.heads * params.tq) { return; }
  let i = n % params.tq;
  let bh = n / params.tq;
  let b = bh / params.heads;
  let h = bh % params.heads;
  var delta = 0.0;
  for (var c = 0u; c < params.dk; c++) {
    delta += dout_in[at(params.do_off, params.do_stride, b, i, params.tq, h, c)] * o_in[at(params.o_off, params.o_stride, b, i, params.tq, h, c)];
  }
  stats_out.rows[n] = vec2f(lse_in[n], delta);
}

// The gradient passes, with P = exp(S - lse) (0 where masked), drop the dropout multiplier:
//   dV = (P * drop)^T dO,  dP' = dO V^T,  dS = P * (drop * dP' - delta),  dQ = scale dS K,  dK = scale dS^T Q.

// Pass 2: thread = query row qi; dQ over all keys.
@compute @workgroup_size(32)
fn attention_backward_dq(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u) {
  let dk4 = groups4();
  let bh = wg.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let q0 = wg.x * ROWS;
  let qi = q0 + t;
  let qs = min(qi, params.tq - 1u);
  var qr: array<vec4f, 16>;  // q row * scale
  var dor: array<vec4f, 16>; // dO row
  var acc: array<vec4f, 16>; // sum_j dS_j k_j
  for (var c4 = 0u; c4 < dk4; c4++) {
    qr[c4] = q4(b, qs, h, c4) * params.scale;
    dor[c4] = do4(b, qs, h, c4);
  }
  let stat = stats.rows[bh * params.tq + qs];
  let seed = stats.seed;
  let kend = key_end(q0);
  for (var k0 = 0u; k0 < kend; k0 += TILE) {
    workgroupBarrier();
    stage_keys(t, b, h, k0, dk4);
    workgroupBarrier();
    for (var j = 0u; j < min(TILE, kend - k0); j++) {
      if (!allowed(qi, k0 + j, tile_ok[j])) { continue; }
      var s = 0.0;
      var dp = 0.0;
      for (var c4 = 0u; c4 < dk4; c4++) {
        s += dot(qr[c4], tile_a[j * C4 + c4]);
        dp += dot(dor[c4], tile_b[j * C4 + c4]);
      }
      let p = exp(s - stat.x);
      let ds = p * (drop(seed, bh, qi, k0 + j) * dp - stat.y);
      for (var c4 = 0u; c4 < dk4; c4++) { acc[c4] += ds * tile_a[j * C4 + c4]; }
    }
  }
  if (qi >= params.tq) { return; }
  for (var c = 0u; c < params.dk; c++) { dq_out[at(params.dq_off, params.dq_stride, b, qi, params.tq, h, c)] = acc[c / 4u][c % 4u] * params.scale; }
}

// Pass 3: thread = key row kj; dK and dV over all queries.
struct KeyGrads {
  dk: array<vec4f, 16>, // sum_i dS_i q_i (unscaled)
  dv: array<vec4f, 16>, // sum_i P_i drop_i dO_i
}

fn dkdv_accumulate(t: u32, wg: vec3u) -> KeyGrads {
  let dk4 = groups4();
  let bh = wg.y;
  let b = bh / params.heads;
  let h = bh % params.heads;
  let k0 = wg.x * ROWS;
  let kj = k0 + t;
  let ks = min(kj, params.tk - 1u);
  let kok = key_ok(b, kj);
  var kr: array<vec4f, 16>; // k row * scale
  var vr: array<vec4f, 16>; // v row
  var g: KeyGrads;
  for (var c4 = 0u; c4 < dk4; c4++) {
    kr[c4] = k4(b, ks, h, c4) * params.scale;
    vr[c4] = v4(b, ks, h, c4);
  }
  let seed = stats.seed;
  // Causal: queries before k0 see none of these keys.
  let qstart = select(0u, k0, params.causal != 0u);
  for (var i0 = qstart; i0 < params.tq; i0 += TILE) {
    workgroupBarrier();
    for (var e = t; e < TILE * dk4; e += ROWS) {
      let i = min(i0 + e / dk4, params.tq - 1u);
      tile_a[(e / dk4) * C4 + e % dk4] = q4(b, i, h, e % dk4);
      tile_b[(e / dk4) * C4 + e % dk4] = do4(b, i, h, e % dk4);
    }
    if (t < TILE) { tile_stat[t] = stats.rows[bh * params.tq + min(i0 + t, params.tq - 1u)]; }
    workgroupBarrier();
    for (var i = 0u; i < min(TILE, params.tq - i0); i++) {
      if (!allowed(i0 + i, kj, kok)) { continue; }
      var s = 0.0;
      var dp = 0.0;
      for (var c4 = 0u; c4 < dk4; c4++) {
        s += dot(kr[c4], tile_a[i * C4 + c4]);
        dp += dot(vr[c4], tile_b[i * C4 + c4]);
      }
      let p = exp(s - tile_stat[i].x);
      let d = drop(seed, bh, i0 + i, kj);
      let ds = p * (d * dp - tile_stat[i].y);
      for (var c4 = 0u; c4 < dk4; c4++) {
        g.dk[c4] += ds * tile_a[i * C4 + c4];
        g.dv[c4] += p * d * tile_b[i * C4 + c4];
      }
    }
  }
  return g;
}

@compute @workgroup_size(32)
fn attention_backward_dkdv(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u) {
  let g = dkdv_accumulate(t, wg);
  let kj = wg.x * ROWS + t;
  if (kj >= params.tk) { return; }
  let b = wg.y / params.heads;
  let h = wg.y % params.heads;
  for (var c = 0u; c < params.dk; c++) {
    dk_out[at(params.dk_off, params.dk_stride, b, kj, params.tk, h, c)] = g.dk[c / 4u][c % 4u] * params.scale;
    dv_out[at(params.dv_off, params.dv_stride, b, kj, params.tk, h, c)] = g.dv[c / 4u][c % 4u];
  }
}

@compute @workgroup_size(32)
fn attention_backward_dkdv_shared(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wg: vec3u) {
  let g = dkdv_accumulate(t, wg);
  let kj = wg.x * ROWS + t;
  if (kj >= params.tk) { return; }
  let b = wg.y / params.heads;
  let h = wg.y % params.heads;
  for (var c = 0u; c < params.dk; c++) {
    dkv_out[at(params.dk_off, params.dk_stride, b, kj, params.tk, h, c)] = g.dk[c / 4u][c % 4u] * params.scale;
    dkv_out[at(params.dv_off, params.dv_stride, b, kj, params.tk, h, c)] = g.dv[c / 4u][c % 4u];
  }
}

// ---------------------------------------------------------------------------------------------------
// Probabilities for inspection: thread = one (b, head, i, j); P = exp(S - lse) as the backward recomputes
// it (the score summed in the forward's order), 0 where masked and on fully masked rows (lse 0 there).
@compute @workgroup_size(256)
fn attention_probs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = gid.x + gid.y * groups.x * 256u;
  let np = params.probs_heads;
  if (n >= params.batch * np * params.tq * params.tk) { return; }
  let j = n % params.tk;
  let i = (n / params.tk) % params.tq;
  let bp = n / (params.tk * params.tq);
  let b = bp / np;
  let h = params.head0 + bp % np;
  var p = 0.0;
  if (allowed(i, j, key_ok(b, j))) {
    var s = 0.0;
    for (var c4 = 0u; c4 < groups4(); c4++) { s += dot(q4(b, i, h, c4) * params.scale, k4(b, j, h, c4)); }
    p = exp(s - lse_in[(b * params.heads + h) * params.tq + i]);
  }
  probs_out[n] = p;
}
