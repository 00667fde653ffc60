/** `ceremony mirror`: a certified mirror of a coordinator's transcript, until SIGINT/SIGTERM. */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { serveHttp } from "../adapters/bun/http.ts";
import { readBlsKeyFile } from "../bls/key-file.ts";
import { closeCurve } from "../crypto/curve.ts";
import { LocalOps } from "../crypto/ops.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { MIRROR_URL } from "../core/mirrors.ts";
import { Mirror } from "../mirror/mirror.ts";
import { FolderLocked, lockFolder } from "../store/folder-lock.ts";
import { coordinatorUrl, parseFlags, requireString } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony mirror --coordinator URL --data DIR --key FILE [--port N] [--host H] [--public-url URL] [--poll-ms N] [--threads N]
  Follows the coordinator's transcript and checks every new commit with verify-transcript's checks (woken by the live
  feed, polling at most every --poll-ms, default 2000); serves what it checked read-only at
  <public-url>/transcript.git (and its state at /status); registers its BLS key (keygen --bls) with a proof of
  possession once caught up; signs each head it checked while it is a member of the mirrors' epoch. A commit that fails
  a check is never served or signed, nor anything after it. --threads: worker threads for the checks (0: this thread,
  the default).`;

export async function mirror(argv: string[]): Promise<void> {
  const { values } = parseFlags("mirror", argv, {
    coordinator: { type: "string" },
    data: { type: "string" },
    key: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "public-url": { type: "string" },
    "poll-ms": { type: "string" },
    threads: { type: "string" },
  });
  const coordinator = coordinatorUrl("mirror", values.coordinator);
  const data = resolve(requireString("mirror", values.data, "--data"));
  const key = await readBlsKeyFile(requireString("mirror", values.key, "--key"));
  const int = (name: string, raw: string | undefined, fallback: number, max: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new CliError(`mirror: --${name} must be an integer in 0..${max}`);
    return n;
  };
  const port = int("port", values.port, 0, 65535);
  const pollMs = Math.max(50, int("poll-ms", values["poll-ms"], 2000, 3_600_000));
  const threads = int("threads", values.threads, 0, 1024);
  const host = values.host ?? "127.0.0.1";
  const publicUrl = values["public-url"];
  if (publicUrl !== undefined && !MIRROR_URL.test(publicUrl)) throw new CliError("mirror: --public-url must be an http(s) URL");
  await mkdir(data, { recursive: true });
  let lock;
  try {
    lock = await lockFolder(data);
  } catch (err) {
    if (err instanceof FolderLocked) throw new CliError(`mirror: ${err.message}`);
    throw err;
  }
  const ops = threads > 0 ? new WorkerPool(threads) : await LocalOps.create();
  const log = (line: string): void => console.log(`mirror: ${line}`);
  try {
    let listening = "";
    const m = await Mirror.open({ coordinator, dataDir: data, key, publicUrl: () => publicUrl ?? listening, ops, pollMs, log });
    const server = serveHttp(m.app.fetch, host, port);
    listening = server.url;
    log(`${key.publicKey.slice(0, 16)}… listening on ${listening}; serving git clone ${publicUrl ?? listening}/transcript.git; following ${coordinator}`);
    const loop = m.run();
    await new Promise<void>((resolveStop) => {
      process.once("SIGINT", () => resolveStop());
      process.once("SIGTERM", () => resolveStop());
    });
    log("stopping");
    await m.close();
    await loop;
    await server.stop();
  } finally {
    await ops.close();
    await closeCurve();
    await lock.release();
  }
}
