/**
 * How a participant proves who it is when joining (the ceremony's identity mode): an invitation token as given,
 * or a Sign-In with Ethereum message naming its ceremony key, signed with an Ethereum key after asking the
 * coordinator for a fresh nonce. Built at join time, so a retried join signs a fresh nonce.
 */
import type { IdentityProof } from "../api/schemas.ts";
import { readEthKeyFile, signMessage, siweMessageFor, TOKEN_SYNTAX } from "../identity/index.ts";
import { ClientError } from "./errors.ts";
import type { CeremonyClient } from "./http.ts";

export function tokenProof(token: string): () => Promise<IdentityProof> {
  if (!TOKEN_SYNTAX.test(token)) throw new ClientError(0, "TOKEN_MALFORMED", "that is not an invitation token (cer_ and 32 letters and digits)");
  return async () => ({ kind: "token", token });
}

export async function ethereumProof(client: CeremonyClient, ethKeyFile: string): Promise<() => Promise<IdentityProof>> {
  const eth = await readEthKeyFile(ethKeyFile);
  return async () => {
    const [challenge, info] = await Promise.all([client.siweChallenge(), client.ceremony()]);
    const { expiresAt: _, ...origin } = challenge;
    const message = siweMessageFor({ ...origin, ceremonyId: info.ceremonyId, participantKey: client.id, address: eth.address, issuedAt: Date.now() });
    return { kind: "ethereum", message, signature: signMessage(eth.privateKey, message) };
  };
}
