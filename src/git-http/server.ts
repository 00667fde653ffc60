/**
 * Serves the transcript repository read-only over HTTP: git's smart protocol (upload-pack, v0/v1; a client asking for
 * v2 falls back) and the dumb one. Pushes are refused. Every request reads the branch once and objects never change,
 * so clones stay consistent while the writer commits.
 */
import { Hono } from "hono";
import { registerDumbRoutes } from "./dumb.ts";
import { gitError, readOnly, readRequestBody, streamOf } from "./http.ts";
import { RepoReader } from "./objects.ts";
import { concatBytes, pktLine, PktLineError } from "./pkt.ts";
import { advertisement, answerUploadPack, parseUploadPackRequest } from "./upload-pack.ts";

export interface GitServerOptions {
  /** The working tree whose `.git` holds the transcript (branch main). */
  repoDir: string;
  /** Where the repository is served; default "/transcript.git". */
  prefix?: string;
  /** Where failures while streaming a pack are reported; default console.error. */
  log?: (line: string) => void;
}

const NO_CACHE = { "Cache-Control": "no-cache, max-age=0, must-revalidate", Pragma: "no-cache", Expires: "Fri, 01 Jan 1980 00:00:00 GMT" };

export function createGitServer(options: GitServerOptions): Hono {
  const prefix = options.prefix ?? "/transcript.git";
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(prefix)) throw new Error(`git server prefix ${JSON.stringify(prefix)} must look like /name.git`);
  const log = options.log ?? ((line: string) => console.error(line));
  const repo = new RepoReader(options.repoDir);
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
    const body = await readRequestBody(c.req.raw);
    if (!body.ok) return gitError(c, body.status, body.code, body.message);
    let request: ReturnType<typeof parseUploadPackRequest>;
    try {
      request = parseUploadPackRequest(body.bytes);
    } catch (error) {
      if (error instanceof PktLineError) return gitError(c, 400, "BAD_REQUEST", error.message);
      throw error;
    }
    const answer = await answerUploadPack(repo, request, log);
    const headers = { ...NO_CACHE, "Content-Type": "application/x-git-upload-pack-result" };
    // Protocol errors go to git in its own words ("remote error: ..."), not as an HTTP status it would hide.
    if (!answer.ok) return c.body(pktLine(`ERR ${answer.error}\n`), 200, headers);
    return c.body(streamOf(answer.body), 200, headers);
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
