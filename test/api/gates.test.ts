// The gate around a finalized ceremony's API (cli/serve.ts): reads pass, and so do certified mirrors' writes (the
// final head is certified after finalization; a coordinator killed in between restarts finalized and must still take
// their statements); every other write is refused READ_ONLY with the API's error body.
import { describe, expect, it } from "vitest";
import { readOnly } from "../../src/api/gates.ts";

const passed = readOnly<null>(() => new Response("passed"));
const call = (method: string, path: string) => passed(new Request(`http://coordinator${path}`, { method, body: method === "POST" ? "{}" : null }), null);

describe("the read-only gate of a finalized ceremony", () => {
  it("lets reads, git fetches and mirrors' writes through", async () => {
    for (const [method, path] of [
      ["GET", "/v1/status"],
      ["HEAD", "/final.ptau"],
      ["POST", "/transcript.git/git-upload-pack"],
      ["POST", "/v1/mirrors/statements"],
      ["POST", "/v1/mirrors/register"],
      ["POST", "/v1/admin/mirrors/admit"],
      ["POST", "/v1/admin/mirrors/retire"],
    ] as const) {
      const r = await call(method, path);
      expect(await r.text(), `${method} ${path}`).toBe("passed");
    }
  });

  it("refuses every other write READ_ONLY (409)", async () => {
    for (const path of ["/v1/queue/join", "/v1/contributions/upload", "/v1/admin/finalize", "/v1/mirrorsx/statements", "/x/v1/mirrors/statements"]) {
      const r = await call("POST", path);
      expect(r.status, path).toBe(409);
      expect(((await r.json()) as { error: { code: string } }).error.code, path).toBe("READ_ONLY");
    }
    expect((await call("PUT", "/v1/mirrors/statements")).status).toBe(409);
  });
});
