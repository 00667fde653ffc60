/** Commands: what someone asks of the ceremony. They carry the time and the facts the shell established (hashes, verdicts, a verified identity); the core adds none. */
import type { MirrorFault } from "./events.ts";
import type { Beacon, Chunk0Facts, ImportedPtau, MirrorKey, ParticipantId, Role, Settings, SignedStatement } from "./model.ts";

export type Command =
  | { type: "Initialize"; now: number; settings: Settings; accumulator: string[]; challenge: string; imported?: ImportedPtau }
  | {
      type: "JoinQueue";
      now: number;
      participant: ParticipantId;
      role: Role;
      /** The identity the shell verified (`token:<hash>`, `eth:<address>`); none in an open ceremony. */
      identity?: string;
    }
  | { type: "LeaveQueue"; now: number; participant: ParticipantId }
  | {
      type: "Tick";
      now: number;
      /** When each participant was last heard from (the shell's heartbeats); without it, no timeout applies. */
      lastSeen?: Record<ParticipantId, number>;
      /** When the coordinator (re)started: its own downtime never counts against a participant's turn or lock. */
      upSince?: number;
    }
  | { type: "LockChunk"; now: number; participant: ParticipantId; chunk: number }
  | { type: "RecordContribution"; now: number; participant: ParticipantId; chunk: number; hash: string }
  | {
      type: "RecordVerification";
      now: number;
      verifier: ParticipantId;
      round: number;
      chunk: number;
      position: number;
      hash: string;
      ok: boolean;
      /** Rejection code from the chunk verifier. */
      code?: string;
      /** Accepted chunk 0: facts the shell derived from the chunk file itself (never taken from a verifier). */
      chunk0?: Chunk0Facts;
    }
  | { type: "AggregateRound"; now: number; round: number; challenge: string }
  | { type: "Finalize"; now: number; actor: ParticipantId; beacon: Beacon }
  | { type: "RecordFinal"; now: number; hash: string }
  | { type: "Drop"; now: number; actor: ParticipantId; participant: ParticipantId; reason: string }
  | { type: "Ban"; now: number; actor: ParticipantId; participant: ParticipantId; reason: string }
  | { type: "Unban"; now: number; actor: ParticipantId; participant: ParticipantId }
  | { type: "RestartRound"; now: number; actor: ParticipantId; reason: string }
  /** Trust: who may verify and who may administer; the coordinator acts for the operator's configuration. */
  | { type: "AddVerifier"; now: number; actor: ParticipantId; participant: ParticipantId }
  | { type: "RemoveVerifier"; now: number; actor: ParticipantId; participant: ParticipantId }
  | { type: "AddAdmin"; now: number; actor: ParticipantId; participant: ParticipantId }
  /** A coordinator-owned replacement contributor (only the coordinator registers them). */
  | { type: "RegisterReplacement"; now: number; actor: ParticipantId; participant: ParticipantId }
  | { type: "RemoveAdmin"; now: number; actor: ParticipantId; participant: ParticipantId }
  /** When the queue opens and closes (the operator's schedule, carried out by the coordinator; null: no such moment). */
  | { type: "ScheduleQueue"; now: number; actor: ParticipantId; opensAt: number | null; closesAt: number | null }
  /** Invitation tokens an admin minted, by hash. */
  | { type: "IssueInvitations"; now: number; actor: ParticipantId; hashes: string[] }
  /**
   * Mirrors. `threshold` is the operator's setting (0: ⌈2n/3⌉ of the n members). A registration carries the proof of
   * possession and the registration's signature the shell verified; `admit` (the dev preset) admits it at once.
   */
  | { type: "RegisterMirror"; now: number; mirror: MirrorKey; url: string; pop: string; signature: string; admit: boolean; threshold: number }
  | { type: "AdmitMirror"; now: number; actor: ParticipantId; mirror: MirrorKey; threshold: number }
  | { type: "RetireMirror"; now: number; actor: ParticipantId; mirror: MirrorKey; reason: string; threshold: number }
  /** Evidence the shell established (valid BLS signatures over statements it never published). */
  | { type: "RecordMirrorFault"; now: number; mirror: MirrorKey; code: MirrorFault; statements: SignedStatement[] };
