// A contributor process killed in the middle of its work: the coordinator drops it after the heartbeat timeout, a
// coordinator-owned replacement takes its position, and the round finishes; the transcript records all of it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contribute, status, verifyTranscript, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, startServe, until, type Running } from "../helpers/binary.ts";

let c: Ceremony;
let server: Running | null = null;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-participant-crash-"));
  const bin = await installBinary(dir);
  const s = await startServe(bin, dir, [
    "--preset", "test", "--data", join(dir, "data"), "--port", "0",
    "--contributors-per-round", "2", "--heartbeat-timeout-ms", "3000", "--replacement-contributors", "1",
  ]);
  server = s;
  c = { bin, dir, url: s.url };
}, 120_000);

afterAll(async () => {
  await kill(server);
  await rm(c.dir, { recursive: true, force: true });
});

it("drops a contributor killed mid-round and finishes the round with a replacement", async () => {
  const victim = contribute(c, "--poll-ms", "50");
  const survivor = contribute(c, "--poll-ms", "50");
  // Killed the moment it reports its first upload (polling could let it finish every chunk on a fast machine).
  victim.process.stderr?.on("data", (d: Buffer) => {
    if (d.toString().includes("uploaded")) victim.process.kill("SIGKILL");
  });
  await until("the victim's first upload", () => victim.output().includes("uploaded"));
  await kill(victim);
  const s = await survivor.done;
  expect(s.code, s.out).toBe(0);
  const after = await status(c);
  expect(after.lastRound).toBe(1);
  expect(after.dropped, JSON.stringify(after)).toBe(1);
  const log = server?.output() ?? "";
  expect(log).toMatch(/replacement [0-9a-f]{8}…: round 1, chunk \d+ contributed/);
  const vt = await verifyTranscript(c, `${c.url}/transcript.git`);
  expect(vt.code, vt.out).toBe(0);
}, 300_000);
