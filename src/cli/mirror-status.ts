/** The mirrors' lines of `ceremony status`: the latest certified head, and each member of the epoch, lagging or not. */
import type { Status } from "../api/schemas.ts";

export function mirrorLines(s: Status): string[] {
  const m = s.mirrors;
  if (!m || (m.members.length === 0 && m.certified === null && m.waiting.length === 0)) return [];
  const certified = m.certified ? `certified up to event ${m.certified.seq} (commit ${m.certified.commit.slice(0, 12)}, ${m.certified.signers.length} signers)` : "nothing certified yet";
  const head = m.head ? `; head at event ${m.head.seq}` : "";
  const lines = [`mirrors: epoch ${m.epoch}, ${m.members.length} member(s), certificates need ${m.threshold}; ${certified}${head}`];
  for (const x of m.members) {
    const where = x.signedSeq === null ? "no signature yet" : `signed event ${x.signedSeq}${x.behind ? `, ${x.behind} behind` : ""}`;
    lines.push(`  mirror ${x.key.slice(0, 16)}… ${x.url}: ${where}${x.lagging ? " (LAGGING)" : ""}${x.faulty ? " (FAULTY)" : ""}`);
  }
  if (m.waiting.length > 0) lines.push(`  ${m.waiting.length} registration(s) waiting for an admin (admin admit-mirror)`);
  return lines;
}
