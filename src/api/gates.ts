/**
 * What the server answers around the app: while the coordinator opens its state (the socket is bound first, so a
 * busy port fails before anything is created), and when it serves a finalized ceremony read-only. Both answer with
 * the API's error body and a stable code from errors.ts.
 */
import { errorBody } from "../lib/error-body.ts";
import { statusOf } from "./errors.ts";

type Handler<S> = (req: Request, server: S) => Response | Promise<Response>;

function refusal(code: "STARTING" | "READ_ONLY", message: string, headers: Record<string, string> = {}): Response {
  return Response.json(errorBody(code, message), { status: statusOf(code) ?? 500, headers });
}

/** Every request while the coordinator opens (replays its log, restores, imports): try again shortly. */
export function starting(): Response {
  return refusal("STARTING", "the coordinator is starting (replaying its log); try again shortly", { "retry-after": "2" });
}

/**
 * The writes a finalized ceremony still takes: certified mirrors' (registration, statements, an admin admitting or
 * retiring one). Its last heads (the final .ptau's commit) are certified after finalization, and a coordinator killed
 * between the two restarts finalized: refusing them would leave the final .ptau uncertified for good.
 */
const MIRROR_WRITES = /^\/v1\/(admin\/)?mirrors\//;

/**
 * Reads pass (GET, HEAD, and git's fetch, which POSTs to git-upload-pack), and mirrors' writes (MIRROR_WRITES); every
 * other write is refused READ_ONLY.
 */
export function readOnly<S>(app: Handler<S>): Handler<S> {
  return (req, server) => {
    const path = new URL(req.url).pathname;
    const reading = req.method === "GET" || req.method === "HEAD" || (req.method === "POST" && path.endsWith("/git-upload-pack"));
    if (reading || (req.method === "POST" && MIRROR_WRITES.test(path))) return app(req, server);
    return refusal("READ_ONLY", "this coordinator serves a finalized ceremony read-only: status, transcript, receipts, the final .ptau and mirrors' statements");
  };
}
