// Clicking a branch of the branch-flow diagram mutes it for the experiments' ablation (issue 12), where
// the training client offers `muteBranch(runId, layer, branch, which)`; without it, clicks do nothing.
import { useClient, usePlayground } from './context.ts';
import type { BranchClick, BranchWeight } from './BranchFlow.tsx';

type MuteBranch = (runId: number, layer: string, branch: number, which: BranchWeight) => void;

export function useBranchClick(): BranchClick | undefined {
  const client = useClient() as unknown as { muteBranch?: MuteBranch };
  const focus = usePlayground((s) => s.run.focus ?? s.run.runs[0]?.id ?? null);
  const mute = typeof client.muteBranch === 'function' ? client.muteBranch.bind(client) : null;
  if (!mute || focus === null) return undefined;
  return (layer, branch, which) => mute(focus, layer, branch, which);
}
