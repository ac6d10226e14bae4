// Launchers for shaders/cross_entropy.wgsl: the label-smoothed, PAD-masked token loss (model.md "Loss") and
// its gradient. The forward writes stats = [loss, count] (a small GPU buffer the step reads back) and the
// per-row log-partition lse (N) the backward reuses; its per-row loss scratch is created here once.
import type { Gpu } from '../device.ts';
import { createUniform, linearGrid, makeDispatch, require, type Dispatch } from '../kernel.ts';
import { createTensor, numel, type GpuTensor } from '../tensor.ts';

const SHADER = 'cross_entropy';

export interface CrossEntropyForwardArgs {
  stats: GpuTensor; // (2): [mean loss over non-PAD rows, count of non-PAD rows]
  lse: GpuTensor; // (N): log sum exp of each row, saved for the backward
  logits: GpuTensor; // (N, V)
  targets: GpuTensor; // (N) i32, 0 = PAD
  smoothing: number; // label smoothing eps
}

export interface CrossEntropyBackwardArgs {
  dlogits: GpuTensor; // (N, V)
  logits: GpuTensor; // (N, V)
  targets: GpuTensor; // (N) i32
  lse: GpuTensor; // (N) from the forward
  stats: GpuTensor; // (2) from the forward (the count)
  smoothing: number;
  /** dloss: the gradient of whatever uses the loss (1 for the loss itself). */
  scale?: number;
}

/** N and V from logits (N, V), checked against targets (N) and lse (N). */
function lossShape(op: string, logits: GpuTensor, targets: GpuTensor, lse: GpuTensor, smoothing: number): [number, number] {
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = numel(targets.shape);
  require(targets.dtype === 'i32', op, `targets must be i32, got ${targets.dtype}`);
  require(vocab > 0 && rows > 0 && numel(logits.shape) === rows * vocab, op, `logits [${logits.shape}] are not (N = ${rows}, V)`);
  require(numel(lse.shape) === rows, op, `lse must hold ${rows} values, got [${lse.shape}]`);
  require(smoothing >= 0 && smoothing < 1, op, `label smoothing must be in [0, 1), got ${smoothing}`);
  return [rows, vocab];
}

function uniform(gpu: Gpu, rows: number, vocab: number, smoothing: number, scale: number) {
  return createUniform(gpu, [
    ['u32', rows],
    ['u32', vocab],
    ['f32', smoothing],
    ['f32', scale],
  ]);
}

/** stats = [loss, count] and lse from logits and targets: a workgroup per row, then one fixed-order total. */
export function crossEntropyForward(gpu: Gpu, a: CrossEntropyForwardArgs): Dispatch[] {
  const op = 'crossEntropyForward';
  const [rows, vocab] = lossShape(op, a.logits, a.targets, a.lse, a.smoothing);
  require(numel(a.stats.shape) === 2, op, `stats must hold 2 values, got [${a.stats.shape}]`);
  const rowLoss = createTensor(gpu, [rows], 'f32', `${op}.rowLoss`);
  const params = uniform(gpu, rows, vocab, a.smoothing, 1);
  const rowsPipeline = gpu.pipelines.get(SHADER, 'cross_entropy_rows');
  const totalPipeline = gpu.pipelines.get(SHADER, 'cross_entropy_total');
  return [
    makeDispatch(gpu, `${op}.rows`, rowsPipeline, [params, rowLoss, a.lse, a.logits, a.targets], linearGrid(gpu, rows, 1)),
    makeDispatch(gpu, `${op}.total`, totalPipeline, [params, a.stats, rowLoss, a.targets], [1]),
  ];
}

/** dlogits = scale * (softmax - (1-eps) onehot(y) - eps/V) / count on non-PAD rows, 0 on PAD rows. */
export function crossEntropyBackward(gpu: Gpu, a: CrossEntropyBackwardArgs): Dispatch {
  const op = 'crossEntropyBackward';
  const [rows, vocab] = lossShape(op, a.logits, a.targets, a.lse, a.smoothing);
  require(numel(a.dlogits.shape) === rows * vocab, op, `dlogits [${a.dlogits.shape}] differ from logits [${a.logits.shape}]`);
  require(numel(a.stats.shape) === 2, op, `stats must hold 2 values, got [${a.stats.shape}]`);
  require(a.dlogits.buffer !== a.logits.buffer, op, 'dlogits must not alias logits');
  const params = uniform(gpu, rows, vocab, a.smoothing, a.scale ?? 1);
  const pipeline = gpu.pipelines.get(SHADER, 'cross_entropy_backward');
  const resources = [params, a.dlogits, a.logits, a.targets, a.lse, a.stats];
  return makeDispatch(gpu, op, pipeline, resources, linearGrid(gpu, rows * vocab, 256));
}
