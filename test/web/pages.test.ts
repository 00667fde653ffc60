// The pages' server side in-process (routes, content types, no path escapes) and the status page's read model
// (the round grid from the public status plus the feed's rejections; contributions from the feed's events).
import { describe, expect, it } from "vitest";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { folderAssets, webRoutes } from "../../src/api/web.ts";
import type { LiveMessage, Status } from "../../src/api/schemas.ts";
import { describe as describeMessage, newMemory, remember, roundGrid } from "../../src/web/status/grid.ts";

describe("web routes", () => {
  it("serves the pages and their files with their types, and nothing outside the folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ceremony-web-assets-"));
    try {
      await mkdir(join(dir, "status"));
      await writeFile(join(dir, "index.html"), "<!doctype html><title>status</title>");
      await writeFile(join(dir, "status", "main.js"), "console.log(1)");
      await writeFile(join(dir, "..", "secret.txt"), "no");
      const app = webRoutes(folderAssets(dir));
      const page = await app.request("/");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
      const js = await app.request("/web/status/main.js");
      expect(js.headers.get("content-type")).toMatch(/text\/javascript/);
      expect(await js.text()).toBe("console.log(1)");
      for (const bad of ["/web/../secret.txt", "/web/%2e%2e/secret.txt", "/web/status/../../secret.txt", "/web/a/b/c.js"]) {
        expect((await app.request(bad)).status, bad).toBe(404);
      }
      const missing = await app.request("/contribute");
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(join(dir, "..", "secret.txt"), { force: true });
    }
  });
});

const key = (n: number): string => n.toString(16).padStart(64, "0");
const hash = (n: number): string => n.toString(16).padStart(128, "0");

function statusWith(chunks: Array<{ contributions: number; verified: number; lockedBy: string | null }>): Status {
  return {
    phase: "running",
    round: { number: 2, contributors: [key(1), key(2), key(3)], startedAt: "", percentDone: 10, complete: false, chunks: chunks.map((c, chunk) => ({ chunk, ...c })) },
  } as unknown as Status;
}

describe("status page grid", () => {
  it("tells each cell's state from the counts, the lock and the feed's rejections", () => {
    const memory = newMemory();
    const status = statusWith([
      { contributions: 2, verified: 1, lockedBy: key(3) },
      { contributions: 1, verified: 0, lockedBy: key(2) },
      { contributions: 0, verified: 0, lockedBy: null },
    ]);
    expect(roundGrid(status, memory)?.rows).toEqual([
      ["verified", "uploaded", "locked"],
      ["uploaded", "locked", "waiting"],
      ["waiting", "waiting", "waiting"],
    ]);
    const rejected: LiveMessage = { id: 9, kind: "event", seq: 9, event: { type: "ContributionRejected", round: 2, chunk: 2, position: 0, verifier: key(9), hash: hash(1), code: "BAD_POINT", at: 1 } };
    remember(memory, rejected);
    expect(roundGrid(status, memory)?.rows[2]?.[0]).toBe("rejected");
    expect(describeMessage(rejected)).toMatch(/rejected \(BAD_POINT\)/);
    expect(roundGrid({ ...status, round: null }, memory)).toBeNull();
  });

  it("lists verified contributions with their contributor, and forgets those a drop discarded", () => {
    const memory = newMemory();
    const ev = (id: number, event: Record<string, unknown>): LiveMessage => ({ id, kind: "event", seq: id, event: event as { type: string } });
    remember(memory, ev(1, { type: "RoundStarted", round: 1, contributors: [key(1), key(2)], startedAt: 0 }));
    remember(memory, ev(2, { type: "ContributionVerified", round: 1, chunk: 0, position: 1, verifier: key(9), hash: hash(5), at: 0 }));
    remember(memory, ev(3, { type: "ContributionVerified", round: 1, chunk: 0, position: 0, verifier: key(9), hash: hash(6), at: 0 }));
    expect(memory.contributions.map((c) => c.contributor)).toEqual([key(2), key(1)]);
    remember(memory, ev(4, { type: "ParticipantDropped", participant: key(2), reason: "slow", by: key(9), discarded: [{ chunk: 0, position: 1, hash: hash(5) }] }));
    expect(memory.contributions.map((c) => c.hash)).toEqual([hash(6)]);
    // An event this page does not know is not an error (a newer coordinator).
    expect(remember(memory, ev(5, { type: "SomethingNew" }))).toBe(true);
  });
});
