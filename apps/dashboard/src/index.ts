/**
 * Node-side entry of the dashboard package: where the built assets live and how to build them.
 * The browser app itself is `src/app/main.ts` (bundled by esbuild, never imported by Node code).
 */
export { buildDashboard, dashboardDistDir, ensureDashboardBuilt, type BuildDashboardOptions, type BuildResult } from './build';
