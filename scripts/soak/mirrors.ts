/**
 * The certified mirrors of one soak ceremony: `ceremony mirror` processes of the compiled binary, each with its own
 * BLS key and data folder kept across restarts, reaching the coordinator through the chaos proxy. The test preset
 * admits a mirror as it registers (once caught up), so no admin act is needed. A mirror killed by a fault is
 * restarted with the same key, data and port (its registered URL stays true); one that stops by itself is a finding.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, kill, runBinary, type Running } from "../../test/helpers/binary.ts";
import { setTimeout as sleep } from "node:timers/promises";

export interface MirrorProcess {
  name: string;
  /** Its BLS public key (96 hex). */
  key: string;
  keyFile: string;
  data: string;
  port: number;
  running: Running | null;
  /** SIGSTOPped by a fault: not restarted meanwhile. */
  stopped: boolean;
  restarts: number;
}

/** A line a mirror prints when something is wrong on its side or the coordinator's (never under faults alone). */
const ALARMING = /REFUSED commit|statement on event \d+ \([0-9a-f]+\) refused/g;

export class Mirrors {
  readonly all: MirrorProcess[] = [];
  /** Mirror exits the soak did not cause (a mirror must outlive a coordinator that is down; it retries). */
  readonly unexpectedExits: string[] = [];
  /** Every process run, for their output. */
  private readonly runs: Running[] = [];
  /** The runs the soak killed or stopped: their exits are no finding. */
  private readonly expected = new WeakSet<Running>();

  constructor(
    private readonly o: { bin: string; dir: string; proxyUrl: string; say: (line: string) => void },
    private readonly prefix: string,
  ) {}

  /** Creates `n` keys and starts a mirror on each. */
  async start(n: number): Promise<void> {
    for (let i = 1; i <= n; i++) {
      const name = `${this.prefix}-mirror-${i}`;
      const keyFile = join(this.o.dir, `${name}.key`);
      const made = await runBinary(this.o.bin, this.o.dir, ["keygen", "--bls", "--out", keyFile]).done;
      if (made.code !== 0) throw new Error(`keygen --bls: ${made.out}`);
      const key = (JSON.parse(readFileSync(keyFile, "utf8")) as { publicKey: string }).publicKey;
      const m: MirrorProcess = { name, key, keyFile, data: join(this.o.dir, name), port: await freePort(), running: null, stopped: false, restarts: 0 };
      this.all.push(m);
      this.launch(m);
    }
  }

  private launch(m: MirrorProcess): void {
    const r = runBinary(this.o.bin, this.o.dir, ["mirror", "--coordinator", this.o.proxyUrl, "--data", m.data, "--key", m.keyFile, "--port", String(m.port), "--poll-ms", "500"]);
    m.running = r;
    this.runs.push(r);
    void r.done.then(({ code, out }) => {
      if (this.expected.has(r)) return;
      const tail = out.trim().split("\n").slice(-6).join(" | ");
      // Its port taken meanwhile by some other process's connection: a soak artefact, not the mirror's fault.
      if (/EADDRINUSE|address already in use|port \d+ in use/i.test(out)) {
        this.o.say(`${m.name}: its port ${m.port} was taken; moving it`);
        void freePort().then((p) => (m.port = p));
        return;
      }
      this.unexpectedExits.push(`${m.name} exit ${code}: ${tail}`);
    });
  }

  /** Restarts the mirrors that are down, unless deliberately stopped. */
  tend(): void {
    for (const m of this.all) {
      const r = m.running;
      if (m.stopped || !r || (r.process.exitCode === null && r.process.signalCode === null)) continue;
      m.restarts++;
      this.launch(m);
    }
  }

  live(): MirrorProcess[] {
    return this.all.filter((m) => m.running && m.running.process.exitCode === null && m.running.process.signalCode === null);
  }

  /** kill -9 of a mirror; tend() restarts it. */
  kill(m: MirrorProcess): void {
    if (!m.running) return;
    this.expected.add(m.running);
    m.running.process.kill("SIGKILL");
  }

  /** Where a running mirror serves its clone. */
  url(m: MirrorProcess): string {
    return `http://127.0.0.1:${m.port}`;
  }

  /** The lines of every mirror's output that point at a bug (a refused commit or statement). */
  alarms(): string[] {
    return this.runs.flatMap((r) => [...r.output().matchAll(ALARMING)].map((x) => r.output().slice(x.index, r.output().indexOf("\n", x.index)).slice(0, 400)));
  }

  async close(): Promise<void> {
    await Promise.all(
      this.all.map(async (m) => {
        m.stopped = true;
        const r = m.running;
        if (!r) return;
        this.expected.add(r);
        r.process.kill("SIGCONT");
        const timer = setTimeout(() => r.process.kill("SIGKILL"), 15_000);
        await kill(r, "SIGTERM");
        clearTimeout(timer);
      }),
    );
  }
}

/** The part of the coordinator's status the soak reads. */
export type SoakStatus = {
  phase: string;
  lastRound: number;
  alerts: string[];
  transcript: { committedSeq: number } | null;
  mirrors: { members: Array<{ key: string; faulty: boolean }>; certified: { commit: string; seq: number } | null; head: { commit: string; seq: number } | null } | null;
};

/** What verify-transcript prints when the last certificate covers the final .ptau's commit. */
export const CERTIFIED_LINE = /certificates: \d+ checked; certified up to event \d+ of \d+ \(commit [0-9a-f]{12}, epoch \d+, \d+ signers\); the final \.ptau is certified/;

/** Waits (up to 2 min) until the mirrors certified the final head; null when they did, else what the status says. */
export async function certifiedHead(mirrors: Mirrors, settled: () => Promise<SoakStatus>): Promise<string | null> {
  const end = performance.now() + 120_000;
  for (;;) {
    const m = (await settled()).mirrors;
    if (m?.head && m.certified?.commit === m.head.commit) return null;
    if (performance.now() > end) return `head ${JSON.stringify(m?.head)}, certified ${JSON.stringify(m?.certified)}; mirrors ${mirrors.all.map((x) => `${x.name} ${x.restarts} restart(s)`).join(", ")}`;
    await sleep(500);
  }
}
