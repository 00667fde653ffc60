/**
 * What the status says of mirrors: how far each member's last signature is behind the transcript's head, how long
 * heads took to be certified, and the refusals seen lately (the ones no event records: they prove nothing against a
 * mirror, since anyone can send them).
 */
import type { MirrorsStatus } from "../../api/schemas.ts";
import type { MirrorErrorCode } from "../../certificates/errors.ts";

type MirrorMemberStatus = MirrorsStatus["members"][number];

/** A member silent this long while behind is lagging. */
const LAGGING_AFTER_MS = 10_000;
const LATENCY_SAMPLES = 500;
const RECENT_REFUSALS = 20;

export class Lag {
  private readonly last = new Map<string, { seq: number; commit: string; at: number }>();
  private headSeq = 0;
  private headAt = 0;
  private readonly latencies: number[] = [];
  private readonly counts: Record<string, number> = {};
  private readonly recent: MirrorsStatus["refusals"]["recent"] = [];

  constructor(private readonly now: () => number) {}

  head(seq: number): void {
    this.headSeq = seq;
    this.headAt = this.now();
  }

  signed(mirror: string, seq: number, commit: string): void {
    const before = this.last.get(mirror);
    if (!before || seq >= before.seq) this.last.set(mirror, { seq, commit, at: this.now() });
  }

  certified(latencyMs: number): void {
    this.latencies.push(latencyMs);
    if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
  }

  violation(code: MirrorErrorCode, mirror: string | null, message: string): void {
    this.counts[code] = (this.counts[code] ?? 0) + 1;
    this.recent.push({ at: new Date(this.now()).toISOString(), code, mirror, message });
    if (this.recent.length > RECENT_REFUSALS) this.recent.shift();
  }

  status(view: Omit<MirrorsStatus, "latency" | "refusals" | "members"> & { members: Array<{ key: string; url: string; faulty: boolean }> }): MirrorsStatus {
    const now = this.now();
    const headSeq = view.head?.seq ?? this.headSeq;
    const members = view.members.map((m): MirrorMemberStatus => {
      const l = this.last.get(m.key);
      const behind = l ? Math.max(0, headSeq - l.seq) : null;
      const silentSince = l?.at ?? this.headAt;
      const lagging = (behind === null || behind > 0) && now - silentSince > LAGGING_AFTER_MS;
      return { ...m, signedSeq: l?.seq ?? null, signedCommit: l?.commit ?? null, signedAt: l ? new Date(l.at).toISOString() : null, behind, lagging };
    });
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pick = (q: number): number | null => (sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null));
    const latency = { samples: sorted.length, lastMs: this.latencies.at(-1) ?? null, p50Ms: pick(0.5), p90Ms: pick(0.9), maxMs: sorted.at(-1) ?? null };
    return { ...view, members, latency, refusals: { counts: { ...this.counts }, recent: [...this.recent] } };
  }
}
