/**
 * The processes of one soak ceremony, all the compiled binary: the coordinator (restarted on the same port after
 * every kill), an external verifier (registered with `admin add-verifier`, restarted when it dies), a pool of CLI
 * contributors (a fresh key each, topped up as they finish, give up or are killed) and certified mirrors (mirrors.ts:
 * restarted with their key and data when killed). Clients and mirrors reach the coordinator through the chaos proxy;
 * the soak itself and the admin talk to it directly.
 */
import { basename, join } from "node:path";
import { writeFileSync } from "node:fs";
import { kill, runBinary, startServe, type Running } from "../../test/helpers/binary.ts";
import { Mirrors } from "./mirrors.ts";

export interface WorldOptions {
  bin: string;
  dir: string;
  data: string;
  port: number;
  /** The proxy's URL, for the participants. */
  proxyUrl: string;
  backupRemote: string;
  offsetFile: string;
  contributors: number;
  /** Certified mirrors to run (the threshold is ⌈2n/3⌉ of them). */
  mirrors: number;
  say: (line: string) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class World {
  coordinator: (Running & { url: string }) | null = null;
  verifier: Running | null = null;
  verifierKey = "";
  readonly contributors: Running[] = [];
  /** Every client process of this ceremony, finished or not: their output holds the acknowledgements. */
  readonly clients: Running[] = [];
  /** Coordinator exits the soak did not cause (a fatal stop would be a bug). */
  unexpectedExits: string[] = [];
  spawning = true;
  private spawned = 0;
  private expectingExit = false;
  readonly mirrors: Mirrors;

  constructor(readonly o: WorldOptions) {
    this.mirrors = new Mirrors(o, basename(o.data));
  }

  get url(): string {
    return `http://127.0.0.1:${this.o.port}`;
  }

  /** Starts the coordinator (the wall clock as it is: the offset file is reset first); retries a start that fails. */
  async startCoordinator(): Promise<void> {
    writeFileSync(this.o.offsetFile, "0\n");
    const args = ["--preset", "test", "--data", this.o.data, "--port", String(this.o.port), "--contributors-per-round", "3", "--verifiers", "0"];
    args.push("--backup-remote", this.o.backupRemote, "--backup-cron", "*/5 * * * * *");
    for (let attempt = 1; ; attempt++) {
      try {
        const c = await startServe(this.o.bin, this.o.dir, args, { CEREMONY_CLOCK_OFFSET_FILE: this.o.offsetFile });
        this.coordinator = c;
        this.expectingExit = false;
        void c.done.then(({ code }) => {
          if (!this.expectingExit && this.coordinator === c) this.unexpectedExits.push(`exit ${code}: ${c.output().split("\n").slice(-6).join(" | ")}`);
        });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        this.o.say(`coordinator start failed (attempt ${attempt}), retrying: ${String(err).split("\n").slice(0, 3).join(" | ")}`);
        await sleep(1000);
      }
    }
  }

  async killCoordinator(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.expectingExit = true;
    await kill(this.coordinator, signal);
    this.coordinator = null;
  }

  /** The coordinator's output so far. */
  coordinatorOutput(): string {
    return this.coordinator?.output() ?? "";
  }

  /** Creates the verifier's key and registers it (an admin act, retried while the coordinator restarts). */
  async registerVerifier(): Promise<void> {
    const keyFile = join(this.o.dir, `verifier-${Date.now()}.key`);
    const made = await runBinary(this.o.bin, this.o.dir, ["keygen", "--out", keyFile]).done;
    this.verifierKey = /public key ([0-9a-f]{64})/.exec(made.out)?.[1] ?? "";
    if (!this.verifierKey) throw new Error(`keygen: ${made.out}`);
    for (let attempt = 1; ; attempt++) {
      const r = await runBinary(this.o.bin, this.o.dir, ["admin", "add-verifier", this.verifierKey, "--coordinator", this.url, "--key", join(this.o.data, "admin.key"), "--timeout", "30"]).done;
      if (r.code === 0) break;
      if (attempt >= 10) throw new Error(`admin add-verifier: ${r.out}`);
      await sleep(1000);
    }
    this.verifierKeyFile = keyFile;
    this.startVerifier();
  }

  private verifierKeyFile = "";

  startVerifier(): void {
    const v = runBinary(this.o.bin, this.o.dir, ["verify-worker", "--coordinator", this.o.proxyUrl, "--key", this.verifierKeyFile, "--timeout", "60"]);
    this.verifier = v;
    this.clients.push(v);
  }

  /** Keeps the pool of contributors full while `spawning`, and the verifier and the mirrors running. */
  tend(): void {
    for (let i = this.contributors.length - 1; i >= 0; i--) if (this.contributors[i]!.process.exitCode !== null || this.contributors[i]!.process.signalCode !== null) this.contributors.splice(i, 1);
    while (this.spawning && this.contributors.length < this.o.contributors) {
      const n = ++this.spawned;
      const flags = ["--poll-ms", "100", "--timeout", "60", "--give-up-after-ms", "600000", "--receipt", join(this.o.dir, `receipt-${n}.json`)];
      const c = runBinary(this.o.bin, this.o.dir, ["contribute", "--coordinator", this.o.proxyUrl, ...flags]);
      this.contributors.push(c);
      this.clients.push(c);
    }
    const v = this.verifier;
    if (v && (v.process.exitCode !== null || v.process.signalCode !== null) && !this.verifierStopped) this.startVerifier();
    this.mirrors.tend();
  }

  verifierStopped = false;

  outputs(): string[] {
    return this.clients.map((c) => c.output());
  }

  async close(): Promise<void> {
    this.spawning = false;
    await this.killCoordinator("SIGTERM");
    await Promise.all([...this.contributors, ...(this.verifier ? [this.verifier] : [])].map((r) => kill(r)));
    await this.mirrors.close();
  }
}
