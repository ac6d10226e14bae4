// Node entry to WebGPU through the `webgpu` package (Dawn). Picks a driver in the order a real GPU,
// Mesa's lavapipe, SwiftShader (from Debian's Chromium), unless WEBGPU_ADAPTER names one (substring).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { createGpu, GpuUnavailableError, type Gpu } from './device.ts';
import { registerShaderSources } from './shaders.ts';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SHADER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shaders');

let installed = false;
// Dawn instances must outlive everything created from them: letting one be garbage-collected while
// another is in use tears down driver state under it (seen as random segfaults). Keep them all.
const instances: GPU[] = [];

function dawnInstance(flags: string[]): GPU {
  const instance = create(flags);
  instances.push(instance);
  return instance;
}

/** The Dawn instance each acquired adapter came from, by adapter name. */
const instanceByAdapter = new Map<string, GPU>();

/**
 * The `GPU` object (Dawn instance) whose requestAdapter() returns the adapter `adapterName` (a name
 * acquireNodeGpu gave as Gpu.adapterName): the one acquireNodeGpu used, so that another library (TF.js in
 * the side-by-side bench, through `navigator.gpu`) runs on the same driver and Dawn instance.
 */
export function nodeGpuInstance(adapterName: string): GPU {
  installGlobals();
  let instance = instanceByAdapter.get(adapterName);
  if (!instance) instanceByAdapter.set(adapterName, (instance = dawnInstance([`adapter=${adapterName}`])));
  return instance;
}

function installGlobals(): void {
  if (installed) return;
  Object.assign(globalThis, globals);
  const map: Record<string, string> = {};
  for (const file of readdirSync(SHADER_DIR)) {
    if (file.endsWith('.wgsl')) map[file.slice(0, -5)] = readFileSync(join(SHADER_DIR, file), 'utf8');
  }
  registerShaderSources(map);
  // Make SwiftShader visible to the Vulkan loader too, as the last resort.
  if (existsSync(SWIFTSHADER_ICD)) {
    const extra = process.env.VK_ADD_DRIVER_FILES;
    if (!extra?.includes(SWIFTSHADER_ICD)) {
      process.env.VK_ADD_DRIVER_FILES = extra ? `${extra}:${SWIFTSHADER_ICD}` : SWIFTSHADER_ICD;
    }
  }
  installed = true;
}

/** Names of the adapters Dawn can see ("SwiftShader Device (Subzero)", "llvmpipe (...)", a GPU's name). */
export async function listNodeAdapters(): Promise<string[]> {
  installGlobals();
  try {
    await dawnInstance(['adapter=__list_adapters__']).requestAdapter();
  } catch (err) {
    const names: string[] = [];
    for (const m of String(err).matchAll(/name: '([^']*)'/g)) names.push(m[1]);
    return names;
  }
  return [];
}

/** Rank: real GPUs first, then lavapipe (llvmpipe), then SwiftShader. */
function rank(name: string): number {
  if (/swiftshader/i.test(name)) return 2;
  if (/llvmpipe|lavapipe/i.test(name)) return 1;
  return 0;
}

const HOW_TO_GET_A_DRIVER =
  'Install a Vulkan driver: run `npm run prereqs` as root (it installs Mesa lavapipe from ' +
  'bookworm-backports and Chromium, whose SwiftShader also works), or set WEBGPU_ADAPTER to one of the ' +
  'adapters listed.';

/** Acquire the preferred Node adapter and a device on it. */
export async function acquireNodeGpu(preferred = process.env.WEBGPU_ADAPTER): Promise<Gpu> {
  installGlobals();
  const names = await listNodeAdapters();
  let choice: string | undefined;
  if (preferred) {
    choice = names.find((n) => n.toLowerCase().includes(preferred.toLowerCase()));
    if (!choice) {
      throw new GpuUnavailableError(
        `WEBGPU_ADAPTER="${preferred}" matches none of the adapters: ${names.join(', ') || 'none'}.`,
      );
    }
  } else {
    choice = [...names].sort((a, b) => rank(a) - rank(b))[0];
  }
  if (!choice) throw new GpuUnavailableError(`No WebGPU adapter found in Node. ${HOW_TO_GET_A_DRIVER}`);
  const instance = dawnInstance([`adapter=${choice}`]);
  instanceByAdapter.set(choice, instance);
  const adapter = await instance.requestAdapter();
  if (!adapter) throw new GpuUnavailableError(`Dawn refused the adapter "${choice}". ${HOW_TO_GET_A_DRIVER}`);
  return createGpu(adapter, choice);
}

/**
 * Memory a Node adapter can give a model, for the limits check (src/model/limits.ts): the machine's RAM
 * for the CPU drivers (lavapipe, SwiftShader allocate "GPU" buffers there); undefined for a real GPU, whose
 * memory WebGPU does not expose.
 */
export function nodeMemoryBytes(gpu: Gpu): number | undefined {
  return rank(gpu.adapterName) > 0 ? totalmem() : undefined;
}
