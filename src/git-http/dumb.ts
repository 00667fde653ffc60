/**
 * The dumb HTTP protocol: plain files a client walks itself (HEAD, info/refs, loose objects, packs). Every path is
 * matched by a strict pattern of hex digits, so nothing outside `.git/objects` can be named.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { Context, Hono } from "hono";
import { gitError } from "./http.ts";
import { SERVED_BRANCH, type RepoReader } from "./objects.ts";

export function registerDumbRoutes(app: Hono, prefix: string, repo: RepoReader): void {
  const text = { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache" };

  app.get(`${prefix}/HEAD`, (c) => c.body(`ref: ${SERVED_BRANCH}\n`, 200, text));

  app.get(`${prefix}/info/refs`, async (c) => {
    const tip = await repo.tip();
    return c.body(tip === null ? "" : `${tip}\t${SERVED_BRANCH}\n`, 200, text);
  });

  app.get(`${prefix}/objects/info/packs`, async (c) => {
    const packs = (await packNames(repo)).filter((name) => name.endsWith(".pack"));
    return c.body(packs.map((name) => `P ${name}\n`).join("") + "\n", 200, text);
  });

  app.get(`${prefix}/objects/:dir{[0-9a-f]{2}}/:file{[0-9a-f]{38}}`, (c) =>
    sendFile(c, join(repo.gitdir, "objects", c.req.param("dir"), c.req.param("file")), "application/x-git-loose-object"),
  );

  app.get(`${prefix}/objects/pack/:name{pack-[0-9a-f]{40}\\.(?:pack|idx)}`, (c) => {
    const name = c.req.param("name");
    const type = name.endsWith(".pack") ? "application/x-git-packed-objects" : "application/x-git-packed-objects-toc";
    return sendFile(c, join(repo.gitdir, "objects", "pack", name), type);
  });
}

async function packNames(repo: RepoReader): Promise<string[]> {
  try {
    return (await readdir(join(repo.gitdir, "objects", "pack"))).filter((name) => /^pack-[0-9a-f]{40}\.(pack|idx)$/.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Object files never change once written, so they may be cached for good. */
async function sendFile(c: Context, path: string, contentType: string): Promise<Response> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (info === null || !info.isFile()) return gitError(c, 404, "NOT_FOUND", "no such object");
  const stream = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  return c.body(stream, 200, { "Content-Type": contentType, "Content-Length": String(info.size), "Cache-Control": "public, max-age=31536000, immutable" });
}
