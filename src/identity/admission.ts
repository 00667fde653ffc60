/**
 * Admission of a joining participant under the coordinator's identity mode: one call that checks the proof the
 * participant sent and names the identity the core records (and holds to one accepted contribution).
 */
import { checkEligibility, type EligibilityPolicy } from "./eligibility.ts";
import type { IdentityMode, IdentityProof } from "./schemas.ts";
import { verifyToken } from "./tokens.ts";
import { verifySiwe, type SiweErrorCode, type SiweExpectation } from "./verify.ts";

export type AdmissionErrorCode =
  | "IDENTITY_REQUIRED"
  | "TOKEN_MALFORMED"
  | "TOKEN_UNKNOWN"
  | SiweErrorCode
  | "NOT_ELIGIBLE"
  | "ELIGIBILITY_UNAVAILABLE";

/**
 * ok: admitted; `identity` is the token's identity (64 hex), the EIP-55 address, or null in open mode where there
 * is none to record.
 */
export type AdmissionVerdict = { ok: true; identity: string | null } | { ok: false; code: AdmissionErrorCode; message: string };

export type AdmissionPolicy =
  | { mode: "open" }
  | { mode: "token"; isMinted(identity: string): boolean }
  | {
      mode: "ethereum";
      /** Everything SIWE verification expects except the participant and the time, which come with each join. */
      siwe: Omit<SiweExpectation, "participantKey" | "now">;
      /** When set, the address must also have sent this many transactions. */
      eligibility?: EligibilityPolicy;
    };

export async function admit(
  policy: AdmissionPolicy,
  proof: IdentityProof | undefined,
  participantKey: string,
  now: number,
): Promise<AdmissionVerdict> {
  switch (policy.mode) {
    case "open":
      // A proof sent anyway is ignored: open admission records no identity.
      return { ok: true, identity: null };
    case "token": {
      if (proof?.kind !== "token") return required(policy.mode);
      const verdict = verifyToken(proof.token, policy.isMinted);
      return verdict.ok ? { ok: true, identity: verdict.identity } : verdict;
    }
    case "ethereum": {
      if (proof?.kind !== "ethereum") return required(policy.mode);
      const signIn = verifySiwe(proof, { ...policy.siwe, participantKey, now });
      if (!signIn.ok) return signIn;
      if (policy.eligibility === undefined) return { ok: true, identity: signIn.address };
      const eligible = await checkEligibility(signIn.address, policy.eligibility);
      return eligible.ok ? { ok: true, identity: signIn.address } : eligible;
    }
    default:
      return policy satisfies never;
  }
}

function required(mode: IdentityMode): AdmissionVerdict {
  const what = mode === "token" ? "an invitation token" : "a Sign-In with Ethereum message and its signature";
  return { ok: false, code: "IDENTITY_REQUIRED", message: `this coordinator admits participants by ${mode}: send ${what}` };
}
