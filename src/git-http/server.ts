/**
 * Serves the transcript repository read-only over HTTP: git's smart protocol (upload-pack, v0/v1; a client asking for
 * v2 falls back) and the dumb one. Pushes are refused. Every request reads the branch once and objects never change,
 * so clones stay consistent while the writer commits. Clones share cached packs, upload-packs are capped, and the work
 * of one stops when its client goes away.
 */
import { Hono, type Context } from "hono";
import { registerDumbRoutes } from "./dumb.ts";
import { gitError, readOnly, readRequestBody, streamOf } from "./http.ts";
import { UploadPackLimiter } from "./limits.ts";
import { RepoReader } from "./objects.ts";
import { PackCache } from "./pack-cache.ts";
import { concatBytes, pktLine, PktLineError } from "./pkt.ts";
import { GitServerStats } from "./stats.ts";
import { advertisement, answerUploadPack, parseUploadPackRequest, type UploadPackContext } from "./upload-pack.ts";

export { GitServerStats } from "./stats.ts";

export interface GitServerOptions {
  /** The working tree whose `.git` holds the transcript (branch main). */
  repoDir: string;
  /** Where the repository is served; default "/transcript.git". */
  prefix?: string;
  /** Where failures while streaming a pack are reported; default console.error. */
  log?: (line: string) => void;
  /** Upload-packs (clones and fetches) in progress at once, all clients together; more are refused (503 GIT_BUSY). */
  maxUploadPacks?: number;
  /** Upload-packs in progress at once from one client address (clientAddress). */
  maxUploadPacksPerClient?: number;
  /** The address a request comes from, for the per-client cap; by default every request shares one address. */
  clientAddress?: (c: Context) => string;
  /** The Retry-After, in seconds, of a refused upload-pack. */
  retryAfterSeconds?: number;
  /** Bytes of cached packs (with their index) kept in memory for clones; 0 turns the cache off. */
  packCacheBytes?: number;
  /** Counters of the server's work, for the caller to read; by default the server keeps its own. */
  stats?: GitServerStats;
}

export const GIT_SERVER_DEFAULTS = {
  prefix: "/transcript.git",
  maxUploadPacks: 32,
  maxUploadPacksPerClient: 8,
  retryAfterSeconds: 5,
  packCacheBytes: 256 * 1024 * 1024,
} as const;

const NO_CACHE = { "Cache-Control": "no-cache, max-age=0, must-revalidate", Pragma: "no-cache", Expires: "Fri, 01 Jan 1980 00:00:00 GMT" };

export function createGitServer(options: GitServerOptions): Hono {
  const settings = { ...GIT_SERVER_DEFAULTS, ...definedOnly(options) };
  const { prefix } = settings;
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(prefix)) throw new Error(`git server prefix ${JSON.stringify(prefix)} must look like /name.git`);
  for (const name of ["maxUploadPacks", "maxUploadPacksPerClient", "retryAfterSeconds", "packCacheBytes"] as const) {
    const least = name.startsWith("max") ? 1 : 0;
    if (!Number.isSafeInteger(settings[name]) || settings[name] < least) throw new Error(`git server ${name} must be an integer of at least ${least}`);
  }
  const log = options.log ?? ((line: string) => console.error(line));
  const clientAddress = options.clientAddress ?? (() => "");
  const stats = options.stats ?? new GitServerStats();
  const repo = new RepoReader(options.repoDir);
  const cache = new PackCache(repo, settings.packCacheBytes, stats, log);
  const limiter = new UploadPackLimiter(settings.maxUploadPacks, settings.maxUploadPacksPerClient, stats);
  const app = new Hono();

  app.get(`${prefix}/info/refs`, async (c, next) => {
    const service = c.req.query("service");
    if (service === undefined) return next(); // a dumb client
    if (service === "git-receive-pack") return readOnly(c);
    if (service !== "git-upload-pack") return gitError(c, 403, "UNSUPPORTED_SERVICE", `no service ${service.slice(0, 40)}`);
    const body = concatBytes(advertisement(await repo.tip()));
    return c.body(body, 200, { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-advertisement" });
  });

  app.post(`${prefix}/git-upload-pack`, async (c) => {
    if (c.req.header("Content-Type") !== "application/x-git-upload-pack-request") {
      return gitError(c, 415, "UNSUPPORTED_MEDIA_TYPE", "expected application/x-git-upload-pack-request");
    }
    const release = limiter.tryAcquire(clientAddress(c));
    if (release === null) {
      stats.refusedBusy++;
      c.header("Retry-After", String(settings.retryAfterSeconds));
      return gitError(c, 503, "GIT_BUSY", `too many clones and fetches in progress; retry in ${settings.retryAfterSeconds} s`);
    }
    // Ends this request's work, whichever comes first: the client leaves, the stream is cancelled, or it ends. The
    // closure holds the request, and the stream holds the closure: a runtime's request signal may follow the
    // connection only while its request lives (undici's does, through a WeakRef).
    const request = c.req.raw;
    const controller = new AbortController();
    const finish = (): void => {
      request.signal.removeEventListener("abort", finish);
      controller.abort(new Error("the client went away"));
      release();
    };
    request.signal.addEventListener("abort", finish, { once: true });
    try {
      const answer = await answerWithin(c, { repo, cache, stats, log, signal: controller.signal });
      if (answer instanceof Response) {
        finish();
        return answer;
      }
      return c.body(streamOf(answer, finish), 200, { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-result" });
    } catch (error) {
      finish();
      if (!request.signal.aborted) throw error;
      // The client left while its history was being read: nobody is there to answer, and nothing failed.
      stats.abandoned++;
      return new Response(null, { status: 499, statusText: "Client Closed Request" });
    }
  });

  app.post(`${prefix}/git-receive-pack`, readOnly);
  registerDumbRoutes(app, prefix, repo);
  app.all(`${prefix}/*`, (c) => gitError(c, 404, "NOT_FOUND", "no such path in the transcript repository"));
  app.all(prefix, (c) => gitError(c, 404, "NOT_FOUND", "no such path in the transcript repository"));
  app.onError((error, c) => {
    log(`ceremony: git server: ${error.stack ?? error.message}`);
    return gitError(c, 500, "INTERNAL", "internal error");
  });
  return app;
}

/** The upload-pack answer to stream, or a response that ends the request (a bad request, a want not ours). */
async function answerWithin(c: Context, context: UploadPackContext): Promise<AsyncGenerator<Uint8Array> | Response> {
  const body = await readRequestBody(c.req.raw);
  if (!body.ok) return gitError(c, body.status, body.code, body.message);
  let request: ReturnType<typeof parseUploadPackRequest>;
  try {
    request = parseUploadPackRequest(body.bytes);
  } catch (error) {
    if (error instanceof PktLineError) return gitError(c, 400, "BAD_REQUEST", error.message);
    throw error;
  }
  const answer = await answerUploadPack(context, request);
  // Protocol errors go to git in its own words ("remote error: ..."), not as an HTTP status it would hide.
  if (!answer.ok) return c.body(pktLine(`ERR ${answer.error}\n`), 200, { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-result" });
  return answer.body;
}

/** The options that are set, so that an explicit undefined keeps the default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
