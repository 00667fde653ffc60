/**
 * How the browser contributor proves who it is when joining, per the ceremony's identity mode: an invitation token
 * typed into the page, or a Sign-In with Ethereum message signed by the injected EIP-1193 wallet (personal_sign).
 */
import type { CeremonyInfo, IdentityProof } from "../../api/schemas.ts";
import type { CeremonyClient } from "../../client/http.ts";
import { ClientError } from "../../client/errors.ts";
import { toChecksumAddress } from "../../identity/ethereum.ts";
import { TOKEN_SYNTAX } from "../../identity/tokens.ts";
import { siweMessageFor } from "../../identity/verify.ts";

interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export function tokenProof(token: string): () => Promise<IdentityProof> {
  const t = token.trim();
  if (!TOKEN_SYNTAX.test(t)) throw new ClientError(0, "TOKEN_MALFORMED", "that is not an invitation token (cer_ and 32 letters and digits)");
  return async () => ({ kind: "token", token: t });
}

const hexOf = (text: string): string => `0x${[...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;

/** Asks the wallet for its account now (a click started it); each join then signs a message with a fresh nonce. */
export async function walletProof(client: CeremonyClient, info: CeremonyInfo): Promise<() => Promise<IdentityProof>> {
  const wallet = (globalThis as { ethereum?: Eip1193 }).ethereum;
  if (!wallet) throw new ClientError(0, "NO_WALLET", "this ceremony admits Ethereum accounts, and this browser has no wallet (an EIP-1193 provider such as a browser extension)");
  const accounts = await wallet.request({ method: "eth_requestAccounts" });
  const account = Array.isArray(accounts) && typeof accounts[0] === "string" ? accounts[0] : null;
  if (!account) throw new ClientError(0, "NO_ACCOUNT", "the wallet gave no account");
  return async () => {
    const { expiresAt: _, ...origin } = await client.siweChallenge();
    const message = siweMessageFor({ ...origin, ceremonyId: info.ceremonyId, participantKey: client.id, address: toChecksumAddress(account), issuedAt: Date.now() });
    const signature = await wallet.request({ method: "personal_sign", params: [hexOf(message), account] });
    if (typeof signature !== "string") throw new ClientError(0, "NO_SIGNATURE", "the wallet did not sign");
    return { kind: "ethereum", message, signature: signature.toLowerCase() };
  };
}
