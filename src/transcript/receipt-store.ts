/**
 * The coordinator's signed receipts on disk: receipts/<round>/<participant>.json, each a list sorted by chunk. A
 * receipt is kept only while its contribution stays in the round: a drop takes along the receipts of the
 * contributions it discards, a restart those of the whole round, so what a participant downloads and what the
 * transcript commits at aggregation name only contributions that are in the result.
 */
import { readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { currentRound } from "../core/state.ts";
import type { CeremonyState, ParticipantId } from "../core/model.ts";
import { isErrnoCode } from "../store/durable.ts";
import { readJson, writeJsonAtomic } from "../store/json-file.ts";
import { ReceiptSchema, type Receipt } from "./receipt.ts";

const ReceiptList = v.array(ReceiptSchema);

/** The names in a folder; none when it does not exist yet. Any other error propagates. */
export async function readdirOrNone(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrnoCode(err, "ENOENT")) return [];
    throw err;
  }
}

export class ReceiptStore {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, "receipts");
  }

  private path(round: number, participant: ParticipantId): string {
    return join(this.root, String(round), `${participant}.json`);
  }

  private async at(path: string): Promise<Receipt[]> {
    try {
      return await readJson(path, ReceiptList);
    } catch (err) {
      if (isErrnoCode(err, "ENOENT")) return [];
      throw err;
    }
  }

  private async rounds(): Promise<number[]> {
    return (await readdirOrNone(this.root)).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  }

  /** Keeps `receipt`, replacing an earlier one for the same chunk and position. */
  async save(receipt: Receipt): Promise<void> {
    const path = this.path(receipt.round, receipt.participant);
    const others = (await this.at(path)).filter((r) => !(r.chunk === receipt.chunk && r.position === receipt.position));
    await writeJsonAtomic(path, [...others, receipt].sort((a, b) => a.chunk - b.chunk));
  }

  /** Every receipt of a participant, all rounds. */
  async of(participant: ParticipantId): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for (const r of await this.rounds()) out.push(...(await this.at(this.path(r, participant))));
    return out;
  }

  /** A round's receipt files, as the transcript commits them. */
  async roundFiles(round: number): Promise<Array<{ path: string; bytes: Uint8Array }>> {
    const dir = join(this.root, String(round));
    const names = (await readdirOrNone(dir)).filter((n) => n.endsWith(".json")).sort();
    return Promise.all(names.map(async (name) => ({ path: `receipts/${round}/${name}`, bytes: new Uint8Array(await readFile(join(dir, name))) })));
  }

  /** Removes the receipts of contributions a drop discarded (they can only be in the latest round's folder). */
  async discard(hashes: ReadonlySet<string>): Promise<void> {
    const latest = (await this.rounds()).at(-1);
    if (latest !== undefined && hashes.size > 0) await this.keepOnly(latest, (r) => !hashes.has(r.hash));
  }

  /**
   * Keeps only the receipts of `round` whose contributions `state`'s current round still holds at their chunk and
   * position: after a restart (none, until the round runs again), and at start-up, to finish a prune a crash cut short.
   */
  async reconcile(round: number, state: CeremonyState): Promise<void> {
    if (state.phase === "setup" || state.lastRound >= round) return; // aggregated: final
    const current = currentRound(state);
    const holds = (r: Receipt): boolean => current?.number === r.round && current.chunks[r.chunk]?.contributions[r.position]?.hash === r.hash;
    await this.keepOnly(round, holds);
  }

  private async keepOnly(round: number, keep: (r: Receipt) => boolean): Promise<void> {
    const dir = join(this.root, String(round));
    const names = (await readdirOrNone(dir)).filter((n) => n.endsWith(".json"));
    for (const name of names) {
      const path = join(dir, name);
      const all = await this.at(path);
      const kept = all.filter(keep);
      if (kept.length === all.length) continue;
      if (kept.length === 0) await unlink(path);
      else await writeJsonAtomic(path, kept);
    }
    if (names.length > 0 && (await readdirOrNone(dir)).length === 0) await rm(dir, { recursive: true, force: true });
  }
}
