// Copy the front-end packages Kempen serves into the Python package, so the UI needs no CDN.
// Run with `npm ci && npm run build` from web/; commit the files it writes.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "src", "kempen", "web", "static", "vendor");

// package name -> [file inside the package, name under static/vendor/]
const assets = [
  ["htmx.org", "dist/htmx.min.js", "htmx.min.js"],
  ["chart.js", "dist/chart.umd.min.js", "chart.umd.min.js"],
  ["chartjs-chart-error-bars", "build/index.umd.min.js", "chartjs-chart-error-bars.umd.min.js"],
];

mkdirSync(vendor, { recursive: true });
const manifest = {};
for (const [pkg, file, target] of assets) {
  const root = join(here, "node_modules", pkg);
  const { version, license } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  copyFileSync(join(root, file), join(vendor, target));
  manifest[target] = { package: pkg, version, license };
  console.log(`copied ${pkg}@${version} ${file} -> static/vendor/${target}`);
}
writeFileSync(join(vendor, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
