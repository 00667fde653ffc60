/**
 * Sign-In with Ethereum messages (EIP-4361): the fields, their one text form, and a strict parser that accepts a
 * text only when it is exactly the text `formatSiweMessage` writes for valid fields.
 */
import { isChecksumAddress } from "./ethereum.ts";
import {
  CHAIN_ID_SYNTAX,
  DOMAIN_SYNTAX,
  NONCE_SYNTAX,
  REQUEST_ID_SYNTAX,
  SCHEME_SYNTAX,
  STATEMENT_SYNTAX,
  URI_SYNTAX,
  rfc3339Millis,
} from "./siwe-grammar.ts";

export interface SiweFields {
  /** RFC 3986 scheme of the origin, written before the domain as `scheme://` when present. */
  scheme?: string;
  /** RFC 3986 authority of the site asking for the signature (host and optional port). */
  domain: string;
  /** The signing account, in its EIP-55 form. */
  address: string;
  /** One line of RFC 3986 reserved and unreserved characters and spaces. */
  statement?: string;
  uri: string;
  version: "1";
  /** EIP-155 chain id, a positive safe integer. */
  chainId: number;
  /** At least 8 ASCII letters and digits. */
  nonce: string;
  /** RFC 3339 date-times, kept as written so that a parsed message formats back to the same text. */
  issuedAt: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources?: readonly string[];
}

export type SiweParseResult = { ok: true; fields: SiweFields } | { ok: false; error: string };

/** Longer texts are refused before they are split: a sign-in needs a few hundred bytes. */
export const MAX_SIWE_MESSAGE_LENGTH = 8192;

const HEADER = " wants you to sign in with your Ethereum account:";

/** What is wrong with `fields`, or undefined: the one check that formatting and parsing share. */
export function siweFieldsProblem(fields: SiweFields): string | undefined {
  const f = fields;
  if (f.scheme !== undefined && !SCHEME_SYNTAX.test(f.scheme)) return "scheme is not an RFC 3986 scheme";
  if (!DOMAIN_SYNTAX.test(f.domain)) return "domain is not an RFC 3986 authority";
  if (!isChecksumAddress(f.address)) return "address is not 0x and 40 hex digits in its EIP-55 checksum casing";
  if (f.statement !== undefined && !STATEMENT_SYNTAX.test(f.statement))
    return "statement must be one non-empty line of RFC 3986 reserved or unreserved characters and spaces";
  if (!URI_SYNTAX.test(f.uri)) return "URI is not an RFC 3986 URI";
  if (f.version !== "1") return 'Version must be "1"';
  if (!Number.isSafeInteger(f.chainId) || f.chainId < 1) return "Chain ID must be a positive integer (EIP-155)";
  if (!NONCE_SYNTAX.test(f.nonce)) return "Nonce must be at least 8 letters and digits";
  for (const [name, value] of [["Issued At", f.issuedAt], ["Expiration Time", f.expirationTime], ["Not Before", f.notBefore]] as const) {
    if (value !== undefined && rfc3339Millis(value) === undefined) return `${name} is not an RFC 3339 date-time`;
  }
  if (f.requestId !== undefined && !REQUEST_ID_SYNTAX.test(f.requestId)) return "Request ID must be RFC 3986 pchars";
  if (f.resources?.some((r) => !URI_SYNTAX.test(r))) return "every resource must be an RFC 3986 URI";
  return undefined;
}

/** The EIP-4361 text of `fields`; throws TypeError naming the first invalid field. */
export function formatSiweMessage(fields: SiweFields): string {
  const problem = siweFieldsProblem(fields);
  if (problem !== undefined) throw new TypeError(`SIWE message: ${problem}`);
  return render(fields);
}

function render(f: SiweFields): string {
  const origin = f.scheme === undefined ? f.domain : `${f.scheme}://${f.domain}`;
  // address LF LF [ statement LF ] LF: without a statement the address is followed by two empty lines.
  const lines = [`${origin}${HEADER}`, f.address, "", ...(f.statement === undefined ? [] : [f.statement]), ""];
  lines.push(`URI: ${f.uri}`, `Version: ${f.version}`, `Chain ID: ${f.chainId}`, `Nonce: ${f.nonce}`, `Issued At: ${f.issuedAt}`);
  if (f.expirationTime !== undefined) lines.push(`Expiration Time: ${f.expirationTime}`);
  if (f.notBefore !== undefined) lines.push(`Not Before: ${f.notBefore}`);
  if (f.requestId !== undefined) lines.push(`Request ID: ${f.requestId}`);
  if (f.resources !== undefined) lines.push("Resources:", ...f.resources.map((r) => `- ${r}`));
  return lines.join("\n");
}

/** Reads lines in order; every field is a fixed prefix on its own line. */
class Lines {
  private index = 0;
  constructor(private readonly lines: readonly string[]) {}

  /** The rest of the next line when it starts with `prefix` (and moves past it), else undefined. */
  take(prefix: string): string | undefined {
    const line = this.lines[this.index];
    if (line === undefined || !line.startsWith(prefix)) return undefined;
    this.index++;
    return line.slice(prefix.length);
  }

  /** Like take, but the line is required; throws a message naming the line. */
  need(prefix: string, what: string): string {
    const value = this.take(prefix);
    if (value === undefined) throw new SyntaxError(`line ${this.index + 1} must be ${what}`);
    return value;
  }

  /** Requires the next line to be exactly `line`. */
  exactly(line: string, what: string): void {
    if (this.lines[this.index] !== line) throw new SyntaxError(`line ${this.index + 1} must be ${what}`);
    this.index++;
  }

  get done(): boolean {
    return this.index === this.lines.length;
  }

  get lineNumber(): number {
    return this.index + 1;
  }
}

/** Parses an EIP-4361 message: no missing, extra or reordered lines, no CR, no bad field; the error says where. */
export function parseSiweMessage(text: string): SiweParseResult {
  if (text.length > MAX_SIWE_MESSAGE_LENGTH) return { ok: false, error: `longer than ${MAX_SIWE_MESSAGE_LENGTH} characters` };
  let fields: SiweFields;
  try {
    fields = readFields(new Lines(text.split("\n")));
  } catch (error) {
    if (error instanceof SyntaxError) return { ok: false, error: error.message };
    throw error;
  }
  const problem = siweFieldsProblem(fields);
  if (problem !== undefined) return { ok: false, error: problem };
  // Every field was read from its own line and checked, so this holds; it is kept as the definition of strictness.
  if (render(fields) !== text) return { ok: false, error: "not in the canonical EIP-4361 form" };
  return { ok: true, fields };
}

function readFields(lines: Lines): SiweFields {
  const first = lines.need("", "the header");
  if (!first.endsWith(HEADER)) throw new SyntaxError(`line 1 must end with "${HEADER.trimStart()}"`);
  const origin = first.slice(0, -HEADER.length);
  // An authority holds no "/", so the first "://" can only end a scheme.
  const schemeEnd = origin.indexOf("://");
  const address = lines.need("", "the address");
  lines.exactly("", "empty");
  const statement = lines.need("", "the statement or empty");
  if (statement !== "") lines.exactly("", "empty after the statement");
  const uri = lines.need("URI: ", '"URI: " and the URI');
  const version = lines.need("Version: ", '"Version: 1"');
  if (version !== "1") throw new SyntaxError('Version must be "1"');
  const chainId = lines.need("Chain ID: ", '"Chain ID: " and the chain id');
  if (!CHAIN_ID_SYNTAX.test(chainId)) throw new SyntaxError("Chain ID must be digits without leading zeros");
  const fields: SiweFields = {
    ...(schemeEnd >= 0 ? { scheme: origin.slice(0, schemeEnd), domain: origin.slice(schemeEnd + 3) } : { domain: origin }),
    address,
    ...(statement !== "" ? { statement } : {}),
    uri,
    version,
    chainId: Number(chainId),
    nonce: lines.need("Nonce: ", '"Nonce: " and the nonce'),
    issuedAt: lines.need("Issued At: ", '"Issued At: " and a date-time'),
  };
  const expirationTime = lines.take("Expiration Time: ");
  if (expirationTime !== undefined) fields.expirationTime = expirationTime;
  const notBefore = lines.take("Not Before: ");
  if (notBefore !== undefined) fields.notBefore = notBefore;
  const requestId = lines.take("Request ID: ");
  if (requestId !== undefined) fields.requestId = requestId;
  if (!lines.done) {
    lines.exactly("Resources:", '"Expiration Time: ", "Not Before: ", "Request ID: " or "Resources:", in this order, or nothing');
    const resources: string[] = [];
    for (let resource = lines.take("- "); resource !== undefined; resource = lines.take("- ")) resources.push(resource);
    fields.resources = resources;
  }
  if (!lines.done) throw new SyntaxError(`line ${lines.lineNumber} is not expected here`);
  return fields;
}
