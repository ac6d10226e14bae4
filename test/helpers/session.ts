// The worker's Session in Node for tests: every posted message recorded, `until` for the first one (already
// posted or to come) that matches, `of` for all of a type. `send` hands a command to the session; with
// `asTask` each command is a task of its own, as in the worker (never handled inside the session's own post).
import { testGpu } from './gpu.ts';
import { Session } from '../../src/train/session.ts';
import type { PageMessage, WorkerMessage } from '../../src/train/protocol.ts';

export async function sessionHarness(options: { asTask?: boolean } = {}) {
  const gpu = await testGpu();
  const messages: WorkerMessage[] = [];
  const waiters: { test: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void }[] = [];
  const session = new Session(gpu, (m) => {
    messages.push(m);
    for (const w of waiters.filter((w) => w.test(m))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const send = options.asTask ? (m: PageMessage) => void setTimeout(() => session.handle(m), 0) : (m: PageMessage) => session.handle(m);
  const until = <T extends WorkerMessage>(test: (m: WorkerMessage) => boolean) =>
    new Promise<T>((resolve) => {
      const seen = messages.find(test);
      if (seen) resolve(seen as T);
      else waiters.push({ test, resolve: resolve as (m: WorkerMessage) => void });
    });
  const of = <K extends WorkerMessage['type']>(type: K) => messages.filter((m): m is Extract<WorkerMessage, { type: K }> => m.type === type);
  const lastStep = () => of('metrics').flatMap((m) => m.items).at(-1)?.step ?? 0;
  return { gpu, session, messages, send, until, of, lastStep, clear: () => messages.splice(0) };
}
