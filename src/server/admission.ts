/**
 * Admission by identity, as the shell carries it out: the join's proof checked by the identity module
 * (src/identity) under the ceremony's mode, giving the identity string the core records (`token:<hash>`,
 * `eth:<address>`), or a refusal with a stable code. The core then holds an identity to one key at a time and to
 * `contributionsPerIdentity` accepted contributions.
 */
import type { IdentityProof, SiweChallenge } from "../api/schemas.ts";
import type { IdentityKind, ParticipantId } from "../core/model.ts";
import { admit, NonceStore, siweChallenge, siweOrigin, type AdmissionPolicy } from "../identity/index.ts";

export interface AdmissionSettings {
  kind: IdentityKind;
  /** Ethereum: the coordinator's public URL (what participants sign in to), the chain, and eligibility. */
  publicUrl?: () => string;
  chainId?: number;
  rpcUrl?: string;
  minTransactions?: number;
}

/** A refusal of a join's proof; `code` is one of the identity module's stable codes. */
export class AdmissionRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AdmissionRefused";
  }
}

export interface Admission {
  readonly kind: IdentityKind;
  /** The identity the proof establishes for `participant` (undefined in an open ceremony); throws AdmissionRefused. */
  identify(participant: ParticipantId, proof: IdentityProof | undefined, ceremonyId: string, invitations: { has(identity: string): boolean }, now: number): Promise<string | undefined>;
  /** A Sign-In with Ethereum challenge with a fresh single-use nonce. */
  challenge(now: number): SiweChallenge;
}

export function createAdmission(settings: AdmissionSettings): Admission {
  const nonces = new NonceStore();
  const origin = () => siweOrigin(settings.publicUrl?.() ?? "http://localhost");
  const chainId = settings.chainId ?? 1;
  const policy = (ceremonyId: string, invitations: { has(identity: string): boolean }, now: number): AdmissionPolicy => {
    switch (settings.kind) {
      case "open":
        return { mode: "open" };
      case "token":
        return { mode: "token", isMinted: (identity) => invitations.has(identity) };
      case "ethereum": {
        const eligibility = settings.rpcUrl ? { rpcUrl: settings.rpcUrl, minTransactions: settings.minTransactions ?? 0 } : undefined;
        return { mode: "ethereum", siwe: { ...origin(), chainId, ceremonyId, consumeNonce: (n) => nonces.consume(n, now) }, ...(eligibility ? { eligibility } : {}) };
      }
      default: {
        const never: never = settings.kind;
        throw new Error(`unknown identity mode ${String(never)}`);
      }
    }
  };
  return {
    kind: settings.kind,
    async identify(participant, proof, ceremonyId, invitations, now) {
      const verdict = await admit(policy(ceremonyId, invitations, now), proof, participant, now);
      if (!verdict.ok) throw new AdmissionRefused(verdict.code, verdict.message);
      if (verdict.identity === null) return undefined;
      return settings.kind === "token" ? `token:${verdict.identity}` : `eth:${verdict.identity}`;
    },
    challenge(now) {
      if (settings.kind !== "ethereum") throw new AdmissionRefused("NOT_FOUND", "this ceremony does not admit by Sign-In with Ethereum");
      return siweChallenge(origin(), chainId, nonces.issue(now));
    },
  };
}

/** Any key, as it is: the identity is the key. */
export const openAdmission: Admission = createAdmission({ kind: "open" });
