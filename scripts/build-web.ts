// `npm run build:web`: the browser pages' files in dist/web, which `npm run build` embeds in the binary. The status
// page, the browser contributor and its Web Worker are bundled for the browser from src/web (with the same client,
// signing and crypto code as the CLI); the API docs are swagger-ui-dist's files. Nothing is loaded from a CDN.
import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "dist", "web");

/** Modules that use node-only code (by their resolved path), and their browser twins (same exports). */
const BROWSER_TWINS = new Map([[join(root, "src/auth/ed25519.ts"), join(root, "src/web/shims/ed25519.ts")]]);
/** Node built-ins the shared modules use, and their twins (Bun's own browser polyfill of node:crypto lacks blake2b). */
const BUILTIN_TWINS = new Map([["node:crypto", join(root, "src/web/shims/node-crypto.ts")]]);

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "docs"), { recursive: true });
const t0 = performance.now();
const result = await Bun.build({
  entrypoints: ["status/main.ts", "contribute/main.ts", "worker.ts", "docs.ts"].map((f) => join(root, "src/web", f)),
  root: join(root, "src/web"),
  outdir: out,
  naming: "[dir]/[name].[ext]",
  target: "browser",
  format: "esm",
  minify: process.env.CEREMONY_WEB_DEBUG !== "1",
  sourcemap: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  throw: false,
  plugins: [
    {
      name: "browser-twins",
      setup(build) {
        build.onResolve({ filter: /\.ts$/ }, (args) => {
          const twin = args.importer ? BROWSER_TWINS.get(join(dirname(args.importer), args.path)) : undefined;
          return twin ? { path: twin } : undefined;
        });
        build.onResolve({ filter: /^node:crypto$/ }, (args) => {
          const twin = BUILTIN_TWINS.get(args.path);
          return twin ? { path: twin } : undefined;
        });
      },
    },
  ],
});
if (!result.success) {
  for (const log of result.logs) console.error(String(log));
  process.exit(1);
}
for (const f of await readdir(join(root, "src/web/static"))) await copyFile(join(root, "src/web/static", f), join(out, f));
const swagger = join(root, "node_modules/swagger-ui-dist");
for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) await copyFile(join(swagger, f), join(out, "docs", f));
const sizes = result.outputs.map((o) => `${o.path.slice(out.length + 1)} ${Math.round(o.size / 1024)} KiB`).join(", ");
console.log(`build:web: ${sizes} in ${Math.round(performance.now() - t0)} ms`);
