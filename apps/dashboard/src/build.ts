/**
 * Bundles the browser app with esbuild: src/app/main.ts (+ ECharts, tree-shaken) → dist/app.js, and
 * copies static/ (index.html, app.css, favicon) next to it. No CDN: everything the page loads is in dist/.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const PACKAGE_DIR = resolve(__dirname, '..');
/** Default output directory (gitignored); the API serves it at `/`. */
export const dashboardDistDir = join(PACKAGE_DIR, 'dist');

export interface BuildDashboardOptions {
  outdir?: string;
  /** minify (default true); false keeps the bundle readable for debugging */
  minify?: boolean;
}

export interface BuildResult {
  outdir: string;
  /** bytes per emitted file */
  files: Record<string, number>;
  ms: number;
}

export async function buildDashboard(opts: BuildDashboardOptions = {}): Promise<BuildResult> {
  const outdir = opts.outdir ?? dashboardDistDir;
  const started = Date.now();
  // esbuild is a devDependency-style tool; loaded lazily so merely importing this module costs nothing
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    throw new Error(`cannot build the dashboard: esbuild is not installed (${(err as Error).message}); run \`npm install\` at the repository root`);
  }
  mkdirSync(outdir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(PACKAGE_DIR, 'src', 'app', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const staticDir = join(PACKAGE_DIR, 'static');
  for (const f of readdirSync(staticDir)) copyFileSync(join(staticDir, f), join(outdir, f));
  // pre-compressed copies: the API serves app.js.br / .gz when the browser accepts them (no CPU per request)
  for (const f of ['app.js', 'app.css']) {
    const body = readFileSync(join(outdir, f));
    writeFileSync(join(outdir, `${f}.br`), brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9 } }));
    writeFileSync(join(outdir, `${f}.gz`), gzipSync(body, { level: 9 }));
  }
  const files: Record<string, number> = {};
  for (const f of readdirSync(outdir)) files[f] = statSync(join(outdir, f)).size;
  return { outdir, files, ms: Date.now() - started };
}

/**
 * Builds into `outdir` when its index.html or app.js is missing (a fresh clone whose postinstall did not
 * run). Builds into a temporary sibling and renames it into place, so processes starting at the same
 * time (parallel test workers) never serve a half-written bundle.
 */
export async function ensureDashboardBuilt(outdir = dashboardDistDir): Promise<{ built: boolean; outdir: string }> {
  const complete = (dir: string) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'));
  if (complete(outdir)) return { built: false, outdir };
  const tmp = `${outdir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await buildDashboard({ outdir: tmp });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`the dashboard is not built (${join(outdir, 'app.js')} is missing) and building it failed: ${(err as Error).message}. Run \`npm run build:dashboard\`.`);
  }
  if (complete(outdir)) {
    rmSync(tmp, { recursive: true, force: true }); // another process finished first
    return { built: false, outdir };
  }
  rmSync(outdir, { recursive: true, force: true }); // an incomplete leftover
  try {
    renameSync(tmp, outdir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!complete(outdir)) throw err;
  }
  return { built: true, outdir };
}
