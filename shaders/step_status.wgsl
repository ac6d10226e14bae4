// The step status written by grad_norm.wgsl and read by adam.wgsl and simplex.wgsl (layout mirrored by
// src/gpu/kernels/grad_norm.ts decodeStepStatus). Included with `//!include step_status.wgsl`.
struct StepStatus {
  norm: f32,        // L2 norm of the gradient range
  nonfinite: u32,   // 1 when a gradient (or the sum of squares) is NaN/Inf, 2 when the update would make a
                    // parameter or moment NaN/Inf (adam_check_final): either way the optimizer writes nothing
  clip_scale: f32,  // min(1, clip / norm), 1 when clipping is off
  skipped: u32,     // runs that found a non-finite value
}
