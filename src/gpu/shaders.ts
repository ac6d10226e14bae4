// WGSL sources from shaders/*.wgsl. Under Vite (page, worker, Vitest) they are bundled by
// import.meta.glob; under plain Node (tsx CLI) src/gpu/node.ts reads them from disk and registers them.
// A line `//!include name.wgsl` is replaced by that file's text (shared helpers such as the RNG).

let sources: Record<string, string> = bundledSources();

function bundledSources(): Record<string, string> {
  try {
    const glob = import.meta.glob('/shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });
    const out: Record<string, string> = {};
    for (const [path, text] of Object.entries(glob)) out[baseName(path)] = text as string;
    return out;
  } catch {
    return {}; // not under Vite: the Node entry registers sources itself
  }
}

function baseName(path: string): string {
  return path.replace(/^.*\//, '').replace(/\.wgsl$/, '');
}

/** Replace the known sources (used by the Node loader). Keys are file names without `.wgsl`. */
export function registerShaderSources(map: Record<string, string>): void {
  sources = { ...sources, ...map };
}

/** Source of shaders/<name>.wgsl with includes expanded. */
export function shaderSource(name: string, seen: Set<string> = new Set()): string {
  const text = sources[name];
  if (text === undefined) {
    const known = Object.keys(sources).sort().join(', ') || 'none';
    throw new Error(`No shader named "${name}" (known: ${known})`);
  }
  if (seen.has(name)) throw new Error(`Shader include cycle through "${name}"`);
  seen.add(name);
  return text.replace(/^\/\/!include\s+(\S+)\.wgsl\s*$/gm, (_, inc: string) => shaderSource(inc, new Set(seen)));
}
