/**
 * Backend selection: RIMWATCH_BACKEND=auto|tensorflow|webgpu|wasm|cpu.
 *
 * - wasm (default on CPU): @tensorflow/tfjs-backend-wasm, SIMD, ~30x the plain-JS cpu backend.
 * - cpu: plain JS, slow; used as a second reference in parity tests.
 * - tensorflow: libtensorflow through @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node. Not a
 *   dependency (their install script downloads binaries from storage.googleapis.com). On a GPU host:
 *   `npm install @tensorflow/tfjs-node-gpu@4.22` (CUDA 11.2 + cuDNN 8.1) or `@tensorflow/tfjs-node@4.22`.
 * - webgpu: @tensorflow/tfjs-backend-webgpu on the `webgpu` npm package (Dawn), when a GPU adapter exists.
 * - auto: tensorflow -> webgpu -> wasm, the first that initialises; logs which one it picked.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registerMissingKernels } from './kernels';
import { registerFastCpuSegmentSum, registerFastTransposedMatMul } from './train/fast-matmul';

export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

// Optional packages: resolved beside this module first (in a device bundle that is the bundle's own
// node_modules), then from the project in the working directory.
const projectRequire = createRequire(path.join(process.cwd(), 'package.json'));

function tryRequire(name: string): unknown {
  for (const req of [require, projectRequire]) {
    try {
      return req(name);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(name)) continue;
      throw e;
    }
  }
  return undefined;
}

/**
 * Dawn needs the Vulkan loader on Linux; without it, it prints a warning on stderr and finds no
 * adapter. `auto` checks for the library first so CPU machines stay quiet.
 */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/aarch64-linux-gnu',
    '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib',
  ];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

async function initTensorflow(): Promise<void> {
  if (!tf.findBackend('tensorflow')) {
    const loaded = tryRequire('@tensorflow/tfjs-node-gpu') ?? tryRequire('@tensorflow/tfjs-node');
    if (!loaded) {
      throw new Error(
        'backend "tensorflow" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which are not installed. ' +
          'On a GPU host with CUDA 11.2/cuDNN 8.1 run `npm install @tensorflow/tfjs-node-gpu@4.22` ' +
          '(CPU only: `npm install @tensorflow/tfjs-node@4.22`); both download libtensorflow from storage.googleapis.com.',
      );
    }
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error('backend "tensorflow" failed to initialise');
}

async function initWebgpu(): Promise<void> {
  if (!tf.findBackend('webgpu')) {
    const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
    if (!g.navigator?.gpu) {
      // Dawn's Node binding; must be installed on globalThis before the tfjs webgpu backend loads
      const webgpu = tryRequire('webgpu') as { create: (o: string[]) => unknown; globals: object } | undefined;
      if (!webgpu) throw new Error('backend "webgpu" needs the "webgpu" npm package (npm install webgpu)');
      Object.assign(globalThis, webgpu.globals);
      Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
    }
    const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('backend "webgpu": no GPU adapter found');
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('backend "webgpu" failed to initialise');
}

async function initSimple(name: 'wasm' | 'cpu'): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend "${name}" failed to initialise`);
  // wasm's own BatchMatMul runs transposed and batched products (attention, backprop) in a slow
  // scalar loop; the trainer's kernel wrapper (train/fast-matmul.ts) sends them to XNNPACK. Forward
  // passes for capture and generation gain too (measured 1.2-2.5x on capture), so install it here.
  if (name === 'wasm') registerFastTransposedMatMul('wasm');
  // the cpu backend prints a banner recommending tfjs-node on first use; we choose cpu on purpose
  if (name === 'cpu') {
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    registerFastCpuSegmentSum(); // tfjs's cpu UnsortedSegmentSum is quadratic: embedding gradients crawl without it
  }
}

export interface InitBackendOptions {
  /** called with a one-line message naming the chosen backend (default: console.error for auto) */
  log?: (msg: string) => void;
}

/** Initialise a tfjs backend and return the name of the one in use. */
export async function initBackend(name: string = process.env.RIMWATCH_BACKEND ?? 'auto', opts: InitBackendOptions = {}): Promise<Exclude<BackendName, 'auto'>> {
  registerMissingKernels();
  if (!BACKENDS.includes(name as BackendName)) throw new Error(`unknown backend "${name}" (expected one of: ${BACKENDS.join(', ')})`);
  const b = name as BackendName;
  if (b === 'tensorflow') await initTensorflow();
  else if (b === 'webgpu') await initWebgpu();
  else if (b === 'wasm' || b === 'cpu') await initSimple(b);
  else {
    const reasons: string[] = [];
    let picked: Exclude<BackendName, 'auto'> | undefined;
    for (const [cand, init] of [
      ['tensorflow', initTensorflow],
      [
        'webgpu',
        async () => {
          if (!vulkanLoaderPresent()) throw new Error('no Vulkan loader (libvulkan.so.1) for Dawn');
          await initWebgpu();
        },
      ],
      ['wasm', () => initSimple('wasm')],
    ] as const) {
      try {
        await init();
        picked = cand;
        break;
      } catch (e) {
        reasons.push(`${cand}: ${(e as Error).message.split('. ')[0]}`);
      }
    }
    if (!picked) throw new Error(`no backend could be initialised (${reasons.join('; ')})`);
    (opts.log ?? ((m: string) => console.error(m)))(`rimwatch: using tfjs backend "${picked}"${reasons.length ? ` (skipped ${reasons.join('; ')})` : ''}`);
    await tf.ready();
    return picked;
  }
  await tf.ready();
  return b;
}
