// `npm run bench:kernels -- [--out F.json] [--quick]`: times the kernels on the Node WebGPU adapter
// (WEBGPU_ADAPTER picks one, e.g. swiftshader), prints tables and writes
// {"adapter": "...", "timer": "...", "matmul": [...], "attention": [...]}. Matmul rows time the launch the
// training graph makes (split along K when the grid is small: `split`), and beside it, interleaved, the
// same product unsplit (`unsplit`) and with B stored as f16 (`f16 B`); see src/cli/bench/matmul.ts.
import { writeFileSync } from 'node:fs';
import { acquireNodeGpu } from '../gpu/node.ts';
import { createGpuTimer } from '../gpu/timing.ts';
import { benchMatmul } from './bench/matmul.ts';
import { benchAttention } from './bench/attention.ts';

interface Args {
  out?: string;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--out' && argv[i + 1]) args.out = argv[++i];
    else throw new Error(`bench:kernels: unknown argument "${argv[i]}" (usage: --out F.json [--quick])`);
  }
  return args;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const gpu = await acquireNodeGpu();
  gpu.onFault((message) => console.error(message));
  const timer = createGpuTimer(gpu);
  console.log(`adapter: ${gpu.adapterName} (timer: ${timer.method}${args.quick ? ', quick' : ''})\n`);

  const matmul = await benchMatmul(gpu, timer, args);

  console.log();
  const attention = await benchAttention(gpu, timer, args);

  if (gpu.uncapturedErrors.length > 0) throw new Error(`GPU errors during the bench:\n${gpu.uncapturedErrors.join('\n')}`);
  const report = { adapter: gpu.adapterName, timer: timer.method, matmul, attention };
  if (args.out) {
    writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${args.out}`);
  }
  timer.destroy();
  return 0;
}

// Dawn keeps the event loop alive, so exit explicitly.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
