/**
 * Admission by identity: who may join a ceremony, and under which identity the core records them.
 *
 * What each mode proves about a participant (the coordinator records the identity with the join, and the core
 * accepts at most one contribution per identity):
 *
 * - `open`: nothing. Anyone with a participant key joins; one person can join under many keys.
 * - `token`: the participant holds an invitation token an admin minted and handed out. It proves possession of
 *   the token, not who holds it: a token passed on admits whoever has it, once. The coordinator stores only the
 *   token's identity (a tagged sha256), so its records and transcript never reveal a usable token.
 * - `ethereum`: the participant controls an Ethereum address (Sign-In with Ethereum, EIP-4361: a `personal_sign`
 *   signature over a message that names this coordinator's domain, this ceremony and the participant's ceremony
 *   key, with a nonce the coordinator issued, so it cannot be replayed or reused for another key). Addresses cost
 *   nothing to make; with a minimum transaction count (read from an Ethereum node the operator trusts) each
 *   identity also has a history that costs gas to build. It proves nothing about the person behind the address.
 */
export { admit, type AdmissionErrorCode, type AdmissionPolicy, type AdmissionVerdict } from "./admission.ts";
export { siweChallenge, siweOrigin, type SiweOrigin } from "./challenge.ts";
export {
  DEFAULT_RPC_TIMEOUT_MS,
  RpcError,
  checkEligibility,
  transactionCount,
  type EligibilityPolicy,
  type EligibilityVerdict,
} from "./eligibility.ts";
export {
  ADDRESS_SYNTAX,
  PRIVATE_KEY_SYNTAX,
  SIGNATURE_SYNTAX,
  SignatureError,
  addressOf,
  isChecksumAddress,
  personalMessageHash,
  recoverAddress,
  signMessage,
  toChecksumAddress,
  type SignatureFault,
} from "./ethereum.ts";
export { ETH_KEY_FILE_ERROR_CODES, EthKeyFileError, parseEthKeyFile, readEthKeyFile, type EthKey, type EthKeyFileErrorCode } from "./eth-key-file.ts";
export { NonceStore, type IssuedNonce, type NonceStoreOptions } from "./nonces.ts";
export {
  IDENTITY_MODES,
  IdentityModeSchema,
  IdentityProofSchema,
  SiweChallengeSchema,
  SiweProofSchema,
  type IdentityMode,
  type IdentityProof,
  type SiweChallenge,
} from "./schemas.ts";
export { MAX_SIWE_MESSAGE_LENGTH, formatSiweMessage, parseSiweMessage, siweFieldsProblem, type SiweFields, type SiweParseResult } from "./siwe.ts";
export { rfc3339, rfc3339Millis } from "./siwe-grammar.ts";
export { TOKEN_SYNTAX, TokenSchema, newToken, tokenIdentity, verifyToken, type TokenVerdict } from "./tokens.ts";
export {
  DEFAULT_CLOCK_SKEW_MS,
  SIWE_ERROR_CODES,
  siweMessageFor,
  siweStatement,
  verifySiwe,
  type SiweErrorCode,
  type SiweExpectation,
  type SiweProof,
  type SiweRequest,
  type SiweVerdict,
} from "./verify.ts";
