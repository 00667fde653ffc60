/**
 * The challenge a complete round leaves for the next: the hash of its aggregate, as snarkjs computes a
 * nextChallenge. The coordinator computes it to aggregate; the public verifier recomputes it.
 */
import type { Curve } from "ffjavascript";
import type { Round } from "../core/model.ts";
import { roundResult } from "../core/rules.ts";
import { dataHash } from "../crypto/accumulator.ts";
import { decodeChunk } from "../crypto/chunk.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { responseHash } from "../crypto/pipeline.ts";
import type { ArtifactSource } from "./verification.ts";

export async function aggregateChallenge(curve: Curve, params: CeremonyParams, round: Round, source: ArtifactSource): Promise<string> {
  const chunks = roundResult(round);
  const chunk0 = decodeChunk(await source.get(chunks[0] ?? ""), params, 0);
  if (!chunk0.ok || !chunk0.chunk.publicKey) throw new Error("the last contributor's chunk 0 has no public key");
  const last = round.contributors.length - 1;
  const response = responseHash(curve, fromHex(round.challenges[last] ?? ""), chunk0.chunk.publicKey);
  return toHex(await dataHash(curve, params, response, (k) => source.get(chunks[k] ?? "")));
}
