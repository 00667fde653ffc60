/**
 * What an accepted chunk 0 implies, computed from the file itself, never taken from a verifier: the id of the
 * contributor's public key (no key contributes twice) and the next position's challenge. The coordinator puts
 * these facts in the RecordVerification command; the public verifier recomputes them for every verdict.
 */
import type { Curve } from "ffjavascript";
import type { Chunk0Facts } from "../core/model.ts";
import { decodeChunk } from "../crypto/chunk.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { pipelineChallenge, responseHash } from "../crypto/pipeline.ts";
import { publicKeyId } from "../crypto/verify.ts";

/** The facts of a chunk 0 with public key `publicKey` and hash `hash`, contributed under `challenge`. */
export function keyFacts(curve: Curve, publicKey: Uint8Array, hash: string, challenge: string): Chunk0Facts {
  const response = responseHash(curve, fromHex(challenge), publicKey);
  return { publicKeyId: publicKeyId(publicKey), nextChallenge: toHex(pipelineChallenge(response, fromHex(hash))) };
}

/** The facts of chunk 0 `bytes` (whose hash is `hash`) uploaded under `challenge`; null when it does not decode. */
export function chunk0Facts(curve: Curve, params: CeremonyParams, bytes: Uint8Array, hash: string, challenge: string): Chunk0Facts | null {
  const d = decodeChunk(bytes, params, 0);
  if (!d.ok || !d.chunk.publicKey) return null;
  return keyFacts(curve, d.chunk.publicKey, hash, challenge);
}
