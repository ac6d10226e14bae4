// The typed message protocol between the page and the training worker. Only plain data crosses it:
// the worker owns the GPU device, the page never sees a GPU object.

/** Worker → page. */
export type WorkerMessage =
  | { type: 'ready'; adapter: string; features: string[] }
  | { type: 'gpu-unavailable'; message: string }
  | { type: 'fault'; message: string };

/** Page → worker. */
export type PageMessage = { type: 'hello' };
