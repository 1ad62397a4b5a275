// `npm run build:dashboard`: bundle the browser app into apps/dashboard/dist/.
import { buildDashboard } from './build';

buildDashboard({ minify: !process.argv.includes('--no-minify') }).then(
  (r) => {
    const total = Object.values(r.files).reduce((a, b) => a + b, 0);
    console.log(`dashboard built in ${r.ms} ms → ${r.outdir} (${Object.entries(r.files).map(([f, n]) => `${f} ${(n / 1024).toFixed(0)} KiB`).join(', ')}; ${(total / 1024).toFixed(0)} KiB total)`);
  },
  (err: Error) => {
    console.error(`dashboard build failed: ${err.message}`);
    process.exit(1);
  },
);
