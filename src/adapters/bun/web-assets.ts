/**
 * The browser pages' files under Bun: embedded in the compiled binary (`bun build --compile --asset dist/web`, listed
 * in Bun.embeddedFiles as web/<name>); run from source, dist/web beside the sources (`npm run build:web`).
 */
import { fileURLToPath } from "node:url";
import { folderAssets, type WebAssets } from "../../api/web.ts";

export function bunWebAssets(): WebAssets {
  const embedded = new Map<string, Blob>();
  for (const blob of Bun.embeddedFiles) {
    const name = (blob as Blob & { name?: string }).name ?? "";
    if (name.startsWith("web/")) embedded.set(name.slice("web/".length), blob);
  }
  if (embedded.size === 0) return folderAssets(fileURLToPath(new URL("../../../dist/web", import.meta.url)));
  return {
    read: async (name) => {
      const blob = embedded.get(name);
      return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
    },
  };
}
