/**
 * The browser pages the binary serves beside the API: the status page at /, the browser contributor at /contribute,
 * the API docs at /docs, and their scripts and styles under /web/. The files come from a WebAssets source the
 * runtime adapter provides (embedded in the compiled binary, or dist/web from `npm run build:web`), so nothing is
 * fetched from a CDN and the pages work offline.
 */
import { Hono } from "hono";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { errorBody } from "../lib/error-body.ts";

export interface WebAssets {
  /** The file's bytes by its name under dist/web (e.g. "index.html", "status.js", "docs/swagger-ui.css"); null if absent. */
  read(name: string): Promise<Uint8Array<ArrayBuffer> | null>;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  png: "image/png",
  svg: "image/svg+xml",
  map: "application/json",
};

/** The pages and the file each serves. */
const PAGES: Record<string, string> = { "/": "index.html", "/contribute": "contribute.html", "/docs": "docs.html" };

/** Names a request may ask for: letters, digits, dots, dashes and underscores, in at most one folder. */
const ASSET_NAME = /^(?:[A-Za-z0-9_-]+\/)?[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

function answer(bytes: Uint8Array<ArrayBuffer>, name: string, cache: string): Response {
  const type = TYPES[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream";
  return new Response(bytes, {
    headers: {
      "content-type": type,
      "cache-control": cache,
      "x-content-type-options": "nosniff",
      // Pages run only the binary's own scripts; workers and wasm come from the same origin.
      ...(type.startsWith("text/html") ? { "content-security-policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; worker-src 'self'" } : {}),
    },
  });
}

const missing = (what: string) =>
  Response.json(errorBody("NOT_FOUND", `${what} is not in this build (run \`npm run build:web\`, or use the compiled binary)`), { status: 404 });

export function webRoutes(assets: WebAssets) {
  const app = new Hono();
  for (const [path, name] of Object.entries(PAGES)) {
    app.get(path, async () => {
      const bytes = await assets.read(name);
      return bytes ? answer(bytes, name, "no-cache") : missing(`the page ${path}`);
    });
  }
  app.get("/web/:name{.+}", async (c) => {
    const name = c.req.param("name");
    if (!ASSET_NAME.test(name) || name.includes("..")) return missing(`/web/${name.slice(0, 40)}`);
    const bytes = await assets.read(name);
    return bytes ? answer(bytes, name, "no-cache") : missing(`/web/${name}`);
  });
  return app;
}

/** Assets read from a folder on disk (dist/web after `npm run build:web`). */
export function folderAssets(dir: string): WebAssets {
  return {
    read: async (name) => {
      if (!ASSET_NAME.test(name) || name.includes("..")) return null;
      return readFile(join(dir, name)).then(
        (b) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength),
        (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT" || err.code === "EISDIR") return null;
          throw err;
        },
      );
    },
  };
}
