// Kills a process mid-append (SIGKILL, under Bun) and checks that reopening keeps every acknowledged append and
// never half of a multi-event one.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EventLog } from "../../src/store/event-log.ts";
import { useTempDirs } from "./temp-dirs.ts";

const bun = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
const eventLogModule = fileURLToPath(new URL("../../src/store/event-log.ts", import.meta.url));
const BATCH = 3;

// Appends batches of three events (the last one large, so a kill can land inside a write) and prints each acked seq.
const writerScript = `
import { EventLog } from ${JSON.stringify(eventLogModule)};
const { log } = await EventLog.open(process.argv[2]);
const pad = "x".repeat(1 << 20);
for (;;) {
  const seq = log.lastSeq;
  const logged = await log.append([{ n: seq + 1 }, { n: seq + 2 }, { n: seq + 3, pad }], seq);
  process.stdout.write(logged.at(-1).seq + "\\n");
}
`;

describe("EventLog after a crash", () => {
  const tempDir = useTempDirs();

  it.skipIf(!existsSync(bun))("keeps every acknowledged append and no partial one", async () => {
    const dir = await tempDir();
    const script = join(dir, "writer.ts");
    const path = join(dir, "events.jsonl");
    await writeFile(script, writerScript);

    for (let round = 0; round < 3; round++) {
      const child = spawn(bun, [script, path], { stdio: ["ignore", "pipe", "inherit"] });
      let acked = 0;
      const exited = new Promise<NodeJS.Signals | null>((resolve) => {
        child.on("exit", (_code, signal) => resolve(signal));
      });
      await new Promise<void>((resolve) => {
        let output = "";
        child.stdout.on("data", (data: Buffer) => {
          output += data.toString();
          const complete = output.slice(0, output.lastIndexOf("\n")).split("\n").at(-1);
          if (complete) acked = Number(complete);
          if (acked >= (round + 1) * 10 * BATCH) resolve();
        });
        child.on("exit", () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, round * 7)); // vary where in the loop the kill lands
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL"); // killed mid-loop, not exited on its own
      expect(acked).toBeGreaterThan(0);

      const { log, events } = await EventLog.open<{ n: number }>(path);
      expect(events.length).toBeGreaterThanOrEqual(acked);
      expect(events.length % BATCH).toBe(0);
      expect(events.every((e) => e.event.n === e.seq)).toBe(true);
      await log.close();
    }
  });
});
