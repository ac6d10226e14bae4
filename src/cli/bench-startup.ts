// `npx tsx src/cli/bench-startup.ts [--repeats N] [--preset tiny] [--think S] [--page DIST]`: time from
// Start to the first step's metrics, the page's default run (en-de, comparison off; the preset's model),
// not a test. --think S: Start S seconds after the device is ready (a user reading the form; the page's
// 'warm' compiles meanwhile: Node sends it as the page does), default 0.
// - Node (default): the worker's Session (src/train/session.ts) on the Node adapter (WEBGPU_ADAPTER picks
//   it), Start sent as the page sends it; the times of the worker's 'progress' (data) and
//   'compile-progress' messages split it. cpu_ms: this process's CPU time (the software driver's threads
//   included).
// - --page DIST: the built page (vite build --outDir DIST) served locally in the system Chromium with
//   WebGPU on SwiftShader, a fresh browser per repeat, Start pressed through the page's client; the marks
//   are the store's status, progress and compile changes. cpu_ms: the browser's whole process tree (its GPU
//   process compiles the pipelines).
// One JSON line per repeat; medians at the end. The machine's load is printed with each line: timings on
// a shared machine vary, so repeat, interleave what is compared, and compare medians.
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { acquireNodeGpu } from '../gpu/node.ts';
import { Session } from '../train/session.ts';
import type { WorkerMessage } from '../train/protocol.ts';
import { runSpecs } from '../ui/runs.ts';
import { defaultValues, type ConfigValues } from '../ui/schema.ts';
import { numberOption, parseOptions, UsageError } from './args.ts';

const USAGE = 'npx tsx src/cli/bench-startup.ts [--repeats N] [--preset tiny|small] [--think S] [--page DIST]';

interface Measured {
  where: string;
  adapter: string;
  start_to_first_metrics_ms: number;
  cpu_ms: number;
  load: number;
  /** [ms since Start, what happened] */
  marks: [number, string][];
}

const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

function pageValues(preset: string): ConfigValues {
  // One run: no comparison, no repeat over seeds (what a software GPU's page defaults to), no autosave.
  return { ...defaultValues(), preset, compare: 'off', seeds: 1, autosaveEvery: 0 } as ConfigValues;
}

/** Keep the first and last mark of each compile phase (the page's progress, without every pipeline). */
function thin(marks: [number, string][]): [number, string][] {
  return marks.filter(([, what], i) => {
    if (!what.startsWith('compile ')) return true;
    const phase = what.split(' ')[1];
    const prev = marks[i - 1]?.[1].split(' ')[1], next = marks[i + 1]?.[1].split(' ')[1];
    return prev !== phase || next !== phase;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureNode(preset: string, thinkMs: number): Promise<Measured> {
  const gpu = await acquireNodeGpu();
  const specs = runSpecs(pageValues(preset), null, null);
  if (!specs.ok) throw new Error(`the page's default config does not validate: ${JSON.stringify(specs)}`);
  const marks: [number, string][] = [];
  let t0 = 0;
  let session: Session | null = null;
  const first = new Promise<number>((resolve, reject) => {
    session = new Session(gpu, (m: WorkerMessage) => {
      const at = Math.round(performance.now() - t0);
      if (m.type === 'progress') marks.push([at, `progress ${m.text}`]);
      if (m.type === 'status') marks.push([at, `status ${m.status}`]);
      if (m.type === 'compile-progress') marks.push([at, `compile ${m.phase} ${m.done}/${m.total}`]);
      if (m.type === 'metrics') resolve(performance.now());
      if (m.type === 'error' || m.type === 'rejected') reject(new Error(m.message));
    });
  });
  if (thinkMs > 0) {
    session!.handle({ type: 'warm', runs: specs.specs.map((s) => ({ model: s.model, train: s.train, batchTokens: s.data.batchTokens })) });
    await sleep(thinkMs);
  }
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  session!.handle({ type: 'start', runs: specs.specs, paused: false });
  const t1 = await first;
  const cpu = process.cpuUsage(cpu0);
  gpu.device.destroy();
  return { where: 'node', adapter: gpu.adapterName, start_to_first_metrics_ms: Math.round(t1 - t0), cpu_ms: Math.round((cpu.user + cpu.system) / 1000), load: load(), marks: thin(marks) };
}

/** CPU ms (user + system) of a process and its descendants, from /proc. */
function treeCpuMs(root: number): number {
  const kids = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(pid), Number(fields[11]) + Number(fields[12]));
      const parent = Number(fields[1]);
      kids.set(parent, [...(kids.get(parent) ?? []), Number(pid)]);
    } catch {
      // the process ended meanwhile
    }
  }
  let sum = 0;
  const walk = (p: number) => {
    sum += ticks.get(p) ?? 0;
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(root);
  return sum * 10; // USER_HZ = 100
}

function serve(dist: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };
  const server = createServer((req, res) => {
    let path = join(dist, decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    if (!existsSync(path) || statSync(path).isDirectory()) path = join(dist, 'index.html');
    res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function measurePage(dist: string, preset: string, thinkMs: number): Promise<Measured> {
  const { chromium } = await import('@playwright/test');
  const { BASE_ARGS, CHROMIUM, WEBGPU_ARGS } = await import('../../playwright.config.ts');
  const server = await serve(dist);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browserServer = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, '--no-sandbox', ...WEBGPU_ARGS] });
  try {
    const browser = await chromium.connect(browserServer.wsEndpoint());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => window.__playground?.getState().run.gpu.state === 'ready', undefined, { timeout: 120_000 });
    const adapter = await page.evaluate((values) => {
      const store = window.__playground!;
      store.setState((s) => ({ config: { ...s.config, values } }));
      const w = window as unknown as { __marks: [number, string][]; __first: number; __t0: number };
      w.__marks = [];
      store.subscribe((s, prev) => {
        const at = Math.round(performance.now() - w.__t0);
        if (s.run.status !== prev.run.status) w.__marks.push([at, `status ${s.run.status}`]);
        if (s.run.progress !== prev.run.progress) w.__marks.push([at, `progress ${s.run.progress}`]);
        const c = s.run.compile;
        if (c && c !== prev.run.compile) w.__marks.push([at, `compile ${c.phase} ${c.done}/${c.total}`]);
        if (!w.__first && (s.metrics.runs[0]?.steps.length ?? 0) > 0) w.__first = performance.now();
      });
      const gpu = store.getState().run.gpu;
      return gpu.state === 'ready' ? gpu.adapter : gpu.state;
    }, pageValues(preset));
    await sleep(thinkMs);
    const pid = browserServer.process().pid!;
    const cpu0 = treeCpuMs(pid);
    await page.evaluate(() => {
      (window as unknown as { __t0: number }).__t0 = performance.now();
      window.__playgroundClient!.start(false);
    });
    await page.waitForFunction(() => (window as unknown as { __first?: number }).__first, undefined, { timeout: 600_000, polling: 50 });
    const cpuMs = treeCpuMs(pid) - cpu0;
    const { first, marks } = await page.evaluate(() => {
      const w = window as unknown as { __marks: [number, string][]; __first: number; __t0: number };
      return { first: w.__first - w.__t0, marks: w.__marks };
    });
    await browser.close();
    return { where: 'chromium', adapter, start_to_first_metrics_ms: Math.round(first), cpu_ms: cpuMs, load: load(), marks: thin(marks) };
  } finally {
    await browserServer.close();
    server.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const v = parseOptions(process.argv.slice(2), { repeats: { type: 'string' }, preset: { type: 'string' }, page: { type: 'string' }, think: { type: 'string' } }, USAGE);
  const repeats = numberOption(v, 'repeats', 1, { integer: true, min: 1 });
  const thinkMs = 1000 * numberOption(v, 'think', 0, { min: 0 });
  const preset = typeof v.preset === 'string' ? v.preset : 'tiny';
  if (!['tiny', 'small'].includes(preset)) throw new UsageError(`--preset: tiny or small, not "${preset}"\nUsage: ${USAGE}`);
  const dist = typeof v.page === 'string' ? v.page : null;
  if (dist !== null && !existsSync(join(dist, 'index.html'))) throw new UsageError(`--page ${dist}: no index.html there (vite build --outDir ${dist} first)`);
  const all: Measured[] = [];
  for (let i = 0; i < repeats; i++) {
    const m = dist === null ? await measureNode(preset, thinkMs) : await measurePage(dist, preset, thinkMs);
    all.push(m);
    console.log(JSON.stringify(m));
  }
  console.log(JSON.stringify({ repeats, median_start_to_first_metrics_ms: median(all.map((m) => m.start_to_first_metrics_ms)), median_cpu_ms: median(all.map((m) => m.cpu_ms)) }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
