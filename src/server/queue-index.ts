/**
 * Where each queued participant stands, in O(log n): a projection of the committed events (a Fenwick tree over
 * join order, and the few carried over from a restarted round in front), so a lobby of 100,000 answers "my place"
 * and "the next page" without walking the queue. It follows the core's queue order exactly (tested against it).
 */
import type { CeremonyEvent, ParticipantId } from "../core/model.ts";

/** Prefix sums over 1-based slots, growing as slots are added. */
class Fenwick {
  private tree = new Int32Array(1024);

  private grow(slot: number): void {
    if (slot < this.tree.length) return;
    let size = this.tree.length;
    while (size <= slot) size *= 2;
    // Rebuilding from the slot values keeps every partial sum right at the new size.
    const values = new Int32Array(size);
    for (let i = 1; i < this.tree.length; i++) values[i] = this.sum(i) - this.sum(i - 1);
    this.tree = new Int32Array(size);
    for (let i = 1; i < values.length; i++) if (values[i]) this.add(i, values[i] as number);
  }

  add(slot: number, delta: number): void {
    this.grow(slot);
    for (let i = slot; i < this.tree.length; i += i & -i) this.tree[i] = (this.tree[i] ?? 0) + delta;
  }

  /** Sum of slots 1..slot. */
  sum(slot: number): number {
    let total = 0;
    for (let i = Math.min(slot, this.tree.length - 1); i > 0; i -= i & -i) total += this.tree[i] ?? 0;
    return total;
  }

  /** The smallest slot whose prefix sum reaches k (k ≥ 1), or −1. */
  select(k: number): number {
    let pos = 0;
    let rest = k;
    for (let step = this.tree.length >> 1; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < this.tree.length && (this.tree[next] ?? 0) < rest) {
        pos = next;
        rest -= this.tree[next] ?? 0;
      }
    }
    return pos + 1 < this.tree.length ? pos + 1 : -1;
  }
}

export class QueueIndex {
  private readonly tree = new Fenwick();
  private readonly slotOf = new Map<ParticipantId, number>();
  private readonly bySlot: Array<ParticipantId | undefined> = [undefined];
  private count = 0;
  /** Carried over from a restarted round, ahead of everyone else, in order. */
  private front: ParticipantId[] = [];

  get length(): number {
    return this.front.length + this.count;
  }

  /** 1-based place of a queued participant, or null. */
  position(p: ParticipantId): number | null {
    const f = this.front.indexOf(p);
    if (f >= 0) return f + 1;
    const slot = this.slotOf.get(p);
    return slot === undefined ? null : this.front.length + this.tree.sum(slot);
  }

  /** Up to `limit` participants from place `offset + 1` on. */
  page(offset: number, limit: number): ParticipantId[] {
    const out = this.front.slice(offset, offset + limit);
    let k = Math.max(0, offset - this.front.length) + 1;
    let slot = k <= this.count ? this.tree.select(k) : -1;
    while (out.length < limit && slot > 0 && slot < this.bySlot.length) {
      const p = this.bySlot[slot];
      if (p !== undefined) {
        out.push(p);
        k++;
      }
      slot++;
    }
    return out;
  }

  private enqueue(p: ParticipantId): void {
    const slot = this.bySlot.length;
    this.bySlot.push(p);
    this.slotOf.set(p, slot);
    this.tree.add(slot, 1);
    this.count++;
  }

  private remove(p: ParticipantId): void {
    this.front = this.front.filter((x) => x !== p);
    const slot = this.slotOf.get(p);
    if (slot === undefined) return;
    this.slotOf.delete(p);
    this.bySlot[slot] = undefined;
    this.tree.add(slot, -1);
    this.count--;
  }

  /** Follows one committed event (the same order as the core's queue). */
  apply(event: CeremonyEvent): void {
    switch (event.type) {
      case "ParticipantQueued":
        this.enqueue(event.participant);
        return;
      case "ParticipantLeftQueue":
      case "ParticipantDropped":
        this.remove(event.participant);
        return;
      case "RoundStarted":
        for (const p of event.contributors) this.remove(p);
        return;
      case "RoundRestarted":
        for (const p of event.requeued) this.remove(p);
        this.front = [...event.requeued, ...this.front];
        return;
      case "CeremonyInitialized":
      case "VerifierAdded":
      case "VerifierRemoved":
      case "AdminAdded":
      case "AdminRemoved":
      case "InvitationsIssued":
      case "ChunkLocked":
      case "ContributionRecorded":
      case "ContributionVerified":
      case "ContributionRejected":
      case "RoundAggregated":
      case "FinalizationRequested":
      case "CeremonyFinalized":
      case "ReplacementRegistered":
      case "ContributorReplaced":
      case "ParticipantBanned":
      case "ParticipantUnbanned":
      case "MirrorRegistered":
      case "MirrorAdmitted":
      case "MirrorRetired":
      case "EpochStarted":
      case "MirrorMisbehaved":
      case "QueueScheduled":
      case "QueueOpened":
      case "QueueClosed":
        return; // nobody moves in the queue
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }
}
