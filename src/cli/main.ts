// `npm run cli -- <command> ...`: the Node command-line tools. Each command module exports
// `run(argv): Promise<number>` (the exit code) and is loaded only when asked for.

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  // Commands register here, one line each.
  corpus: { summary: 'check a TSV corpus import (kept pairs, rejected lines by reason)', load: () => import('./corpus.ts') },
  bleu: { summary: 'corpus BLEU of --hyp against --ref files, as sacreBLEU prints it', load: () => import('./bleu.ts') },
  translate: { summary: 'translate lines of text with a checkpoint (greedy or beam search), one output line per input line', load: () => import('./translate.ts') },
  train: { summary: 'train a model headless on the Node adapter (progress, metrics JSONL, checkpoint)', load: () => import('./train.ts') },
  experiment: { summary: 'weighted vs a comparison over N seeds: curves, dev loss/BLEU, verdicts (JSON report)', load: () => import('./experiment.ts') },
  ablate: { summary: "the paper's Table 3 at test time: learned / uniform / random / muted κ/α of a checkpoint (JSON)", load: () => import('./ablate.ts') },
  init: { summary: 'write a freshly initialized model (parity tool of model.md)', load: () => import('./parity.ts').then((m) => ({ run: m.init })) },
  grads: { summary: 'loss and every gradient of one batch on the WebGPU engine (parity tool)', load: () => import('./parity.ts').then((m) => ({ run: m.grads })) },
  step: { summary: 'K optimizer steps on one batch on the WebGPU engine (parity tool)', load: () => import('./parity.ts').then((m) => ({ run: m.step })) },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    if (name && name !== '--help' && name !== 'help') console.error(`Unknown command "${name}".`);
    console.error('Usage: npm run cli -- <command> [options]\nCommands:');
    for (const [n, c] of Object.entries(commands)) console.error(`  ${n.padEnd(10)} ${c.summary}`);
    return name && name !== '--help' && name !== 'help' ? 2 : 0;
  }
  const module = await command.load();
  return module.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
