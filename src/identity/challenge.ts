/**
 * The coordinator's side of a sign-in before and after the wallet: where the domain, scheme and URI come from,
 * the challenge it hands out with a nonce, and what it then expects, so the two cannot drift apart.
 */
import type { IssuedNonce } from "./nonces.ts";
import type { SiweChallenge } from "./schemas.ts";
import { DOMAIN_SYNTAX } from "./siwe-grammar.ts";

export interface SiweOrigin {
  /** host[:port] of the coordinator's public URL (the port only when not the scheme's default). */
  domain: string;
  scheme: string;
  /** The public URL's origin: what participants sign in to. */
  uri: string;
}

/**
 * The origin of sign-ins to a coordinator, from its configured public URL. Never from a request's Host header: a
 * phishing site could then relay a message its visitor signed for the phishing site's own domain.
 */
export function siweOrigin(publicUrl: string): SiweOrigin {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new TypeError(`the public URL ${JSON.stringify(publicUrl)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("the public URL must be http or https");
  if (!DOMAIN_SYNTAX.test(url.host)) throw new TypeError(`the public URL's host ${url.host} is not an RFC 3986 authority`);
  return { domain: url.host, scheme: url.protocol.slice(0, -1), uri: url.origin };
}

/** The answer to a participant's request for a nonce: everything `siweMessageFor` needs besides its own keys. */
export function siweChallenge(origin: SiweOrigin, chainId: number, issued: IssuedNonce): SiweChallenge {
  return { ...origin, chainId, nonce: issued.nonce, expiresAt: issued.expiresAt };
}
