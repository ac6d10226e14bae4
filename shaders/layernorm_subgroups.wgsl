// Subgroup versions of the LayerNorm row kernels of shaders/layernorm.wgsl (included below, with its
// bindings and row pieces), for devices with the `subgroups` feature; same contract, no barriers.
//   layernorm_forward_sg, layernorm_backward_input_sg: bindings as layernorm_forward, layernorm_backward_input
// Workgroup 64 covers a block of 64 / OWNER_STRIDE rows: row slot i belongs to thread i * OWNER_STRIDE, and
// each subgroup works through the rows of the threads it holds, one row at a time, all its active threads
// striding over D. This holds for any subgroup size and any assignment of threads to subgroups (ranks and
// counts come from subgroupExclusiveAdd / subgroupAdd over the active threads), so nothing assumes a
// subgroup size. Row sums: a full subgroup uses a subgroupShuffleXor butterfly, a fixed order that does
// not depend on the driver and equals row_sum2's tree bit for bit when LANES is the subgroup size; a
// partial subgroup (or SUBGROUP_ADD, for tests) uses subgroupAdd. Every subgroup operation sits in control flow that is uniform within
// the subgroup (bounds are subgroup sums or sizes), which WGSL's workgroup-scope uniformity analysis cannot
// see: hence the diagnostic.
enable subgroups;
diagnostic(off, subgroup_uniformity);
//!include layernorm.wgsl

const SG_WG = 64u;
override OWNER_STRIDE: u32 = 1u;  // threads per row slot (a power of two <= 64)
override SUBGROUP_ADD: bool = false;  // true: subgroupAdd for every row sum (tests the partial-subgroup path)

// This thread's place in its subgroup: rank among the active threads and their count (the stride over D),
// the subgroup size, and the rank among the threads owning a row slot and their count.
struct SubgroupRows {
  lane: u32,
  width: u32,
  size: u32,
  owner_rank: u32,
  owners: u32,
}

fn subgroup_rows(lid: u32, size: u32) -> SubgroupRows {
  let owner = select(0u, 1u, lid % OWNER_STRIDE == 0u);
  return SubgroupRows(subgroupExclusiveAdd(1u), subgroupAdd(1u), size, subgroupExclusiveAdd(owner), subgroupAdd(owner));
}

// Whether the butterfly applies: every lane active (so lane == subgroup_invocation_id) and a power-of-two size.
fn full_subgroup(sr: SubgroupRows) -> bool {
  return !SUBGROUP_ADD && sr.width == sr.size && (sr.size & (sr.size - 1u)) == 0u;
}

// Sum of v over the subgroup's active threads, the same value on each (see the header for the order).
fn subgroup_sum(v: f32, sr: SubgroupRows) -> f32 {
  if (!full_subgroup(sr)) { return subgroupAdd(v); }
  var t = v;
  for (var m = sr.size / 2u; m > 0u; m >>= 1u) { t += subgroupShuffleXor(t, m); }
  return t;
}

fn subgroup_sum2(v: vec2f, sr: SubgroupRows) -> vec2f {
  if (!full_subgroup(sr)) { return subgroupAdd(v); }
  var t = v;
  for (var m = sr.size / 2u; m > 0u; m >>= 1u) { t += subgroupShuffleXor(t, m); }
  return t;
}

// The row of this subgroup's j-th owner (the same value on every thread of the subgroup).
fn subgroup_row(wg: vec3u, groups: vec3u, lid: u32, sr: SubgroupRows, j: u32) -> u32 {
  let mine = lid % OWNER_STRIDE == 0u && sr.owner_rank == j;
  let slot = subgroupMax(select(0u, lid / OWNER_STRIDE + 1u, mine)) - 1u;
  return row_index(wg, groups) * (SG_WG / OWNER_STRIDE) + slot;
}

@compute @workgroup_size(64)
fn layernorm_forward_sg(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_size) size: u32) {
  let sr = subgroup_rows(lid, size);
  let dim = f32(params.dim);
  for (var j = 0u; j < sr.owners; j++) {
    let row = subgroup_row(wg, groups, lid, sr, j);
    if (row >= params.rows) { continue; }
    let mu = subgroup_sum(forward_part_sum(row, sr.lane, sr.width), sr) / dim;
    let r = inverseSqrt(subgroup_sum(forward_part_sq(row, sr.lane, sr.width, mu), sr) / dim + params.eps);
    forward_store(row, sr.lane, sr.width, mu, r);
  }
}

@compute @workgroup_size(64)
fn layernorm_backward_input_sg(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
                               @builtin(local_invocation_index) lid: u32, @builtin(subgroup_size) size: u32) {
  let sr = subgroup_rows(lid, size);
  for (var j = 0u; j < sr.owners; j++) {
    let row = subgroup_row(wg, groups, lid, sr, j);
    if (row >= params.rows) { continue; }
    let sums = subgroup_sum2(backward_input_part(row, sr.lane, sr.width), sr) / f32(params.dim);
    backward_input_store(row, sr.lane, sr.width, sums);
  }
}
