// EIP-4361 messages: the same text as viem's createSiweMessage for random fields, read back by viem's parser and
// ours; and a strict parser that refuses every deviation from the grammar, saying where.
import fc from "fast-check";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage, parseSiweMessage as viemParse } from "viem/siwe";
import { describe, expect, it } from "vitest";
import { formatSiweMessage, parseSiweMessage, rfc3339Millis, type SiweFields } from "../../src/identity/index.ts";

const chars = (alphabet: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = `${LOWER}${LOWER.toUpperCase()}0123456789`;
const PCHAR = `${ALNUM}-._~!$&'()*+,;=:@`;

const host = fc.oneof(
  fc.tuple(fc.array(chars(`${LOWER}0123456789`, 1, 10), { minLength: 1, maxLength: 3 }), chars(LOWER, 2, 6)).map(([labels, tld]) => [...labels, tld].join(".")),
  fc.constant("localhost"),
  fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 }))).map((octets) => octets.join(".")),
);
const domain = fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, port]) => (port === undefined ? h : `${h}:${port}`));
const uri = fc
  .tuple(fc.constantFrom("https", "http", "wss"), domain, fc.array(chars(PCHAR, 0, 8), { maxLength: 3 }), fc.option(chars(`${PCHAR}/?`, 0, 10), { nil: undefined }))
  .map(([scheme, authority, path, query]) => `${scheme}://${authority}${path.map((p) => `/${p}`).join("")}${query === undefined ? "" : `?${query}`}`);
const time = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms));
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const fieldsArb = fc.record({
  scheme: optional(fc.constantFrom("https", "http")),
  domain,
  address: fc.constant(null).map(() => privateKeyToAccount(generatePrivateKey()).address),
  statement: optional(chars(`${ALNUM}-._~:/?#[]@!$&'()*+,;= `, 1, 80)),
  uri,
  chainId: fc.integer({ min: 1, max: 2 ** 40 }),
  nonce: chars(ALNUM, 8, 24),
  issuedAt: time,
  expirationTime: optional(time),
  notBefore: optional(time),
  requestId: optional(chars(PCHAR, 1, 20)),
  resources: optional(fc.array(uri, { maxLength: 3 })),
});
type ViemFields = typeof fieldsArb extends fc.Arbitrary<infer T> ? T : never;

/** The same fields as ours: times become the RFC 3339 text viem writes, absent ones stay absent. */
function ours(f: ViemFields): SiweFields {
  const out: SiweFields = { domain: f.domain, address: f.address, uri: f.uri, version: "1", chainId: f.chainId, nonce: f.nonce, issuedAt: f.issuedAt.toISOString() };
  if (f.scheme !== undefined) out.scheme = f.scheme;
  if (f.statement !== undefined) out.statement = f.statement;
  if (f.expirationTime !== undefined) out.expirationTime = f.expirationTime.toISOString();
  if (f.notBefore !== undefined) out.notBefore = f.notBefore.toISOString();
  if (f.requestId !== undefined) out.requestId = f.requestId;
  if (f.resources !== undefined) out.resources = f.resources;
  return out;
}

describe("SIWE messages against viem", () => {
  it("format to viem's text, which both parsers read back to the same fields", () => {
    fc.assert(
      fc.property(fieldsArb, (f) => {
        const text = formatSiweMessage(ours(f));
        expect(text).toBe(createSiweMessage({ ...f, version: "1" }));
        expect(parseSiweMessage(text)).toEqual({ ok: true, fields: ours(f) });
        const theirs = viemParse(text);
        expect({ ...theirs, issuedAt: theirs.issuedAt?.toISOString(), expirationTime: theirs.expirationTime?.toISOString(), notBefore: theirs.notBefore?.toISOString() }).toEqual(
          JSON.parse(JSON.stringify({ ...ours(f), resources: f.resources })),
        );
      }),
      { numRuns: 300 },
    );
  });
});

const BASE: SiweFields = {
  scheme: "https",
  domain: "ceremony.example.org:8443",
  address: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  statement: "Contribute to ceremony 00ff with key 11aa",
  uri: "https://ceremony.example.org:8443/v1/queue/join",
  version: "1",
  chainId: 1,
  nonce: "32891756abcdEF",
  issuedAt: "2024-05-01T12:00:00.000Z",
  expirationTime: "2024-05-01T12:05:00.000Z",
  notBefore: "2024-05-01T11:59:00Z",
  requestId: "req-1",
  resources: ["ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/", "https://example.com/my-web2-claim.json"],
};
const base = formatSiweMessage(BASE);
const lines = base.split("\n");
const withLines = (edit: (l: string[]) => string[]) => edit([...lines]).join("\n");
const replaceLine = (prefix: string, line: string) => withLines((l) => l.map((x) => (x.startsWith(prefix) ? line : x)));

describe("the strict parser", () => {
  it("reads the EIP's own example (with our optional fields)", () => {
    expect(parseSiweMessage(base)).toEqual({ ok: true, fields: BASE });
    const minimal = { domain: "localhost:8090", address: BASE.address, uri: "http://localhost:8090", version: "1" as const, chainId: 5, nonce: "abcdefgh", issuedAt: "2024-05-01T12:00:00+02:00" };
    expect(formatSiweMessage(minimal)).toBe(`localhost:8090 wants you to sign in with your Ethereum account:\n${BASE.address}\n\n\nURI: http://localhost:8090\nVersion: 1\nChain ID: 5\nNonce: abcdefgh\nIssued At: 2024-05-01T12:00:00+02:00`);
    expect(parseSiweMessage(formatSiweMessage(minimal))).toEqual({ ok: true, fields: minimal });
  });

  const refused: [string, string, string][] = [
    ["an empty text", "", "line 1 must end"],
    ["a trailing newline", `${base}\n`, "line 17 is not expected"],
    ["CRLF line ends", base.replaceAll("\n", "\r\n"), "line 1 must end"],
    ["a wrong header", base.replace("wants you to sign in", "wants you to log in"), "line 1 must end"],
    ["an all-lowercase address", base.replace(BASE.address, BASE.address.toLowerCase()), "EIP-55"],
    ["an address with one letter's case flipped", base.replace("aAeb", "aaeb"), "EIP-55"],
    ["a short address", base.replace(BASE.address, BASE.address.slice(0, -1)), "EIP-55"],
    ["no blank line after the address", withLines((l) => [...l.slice(0, 2), ...l.slice(3)]), "line 3 must be empty"],
    ["no blank line after the statement", withLines((l) => [...l.slice(0, 4), ...l.slice(5)]), "line 5 must be empty"],
    ["a two-line statement", base.replace(BASE.statement ?? "", "first line\nsecond line"), "line 5 must be empty"],
    ["a statement with a % sign", base.replace(BASE.statement ?? "", "100% sure"), "statement must be"],
    ["a statement with a non-ASCII letter", base.replace(BASE.statement ?? "", "Contribuer à la cérémonie"), "statement must be"],
    ["Version and Chain ID swapped", withLines((l) => [...l.slice(0, 6), l[7] ?? "", l[6] ?? "", ...l.slice(8)]), "line 7 must be \"Version: 1\""],
    ["Not Before before Expiration Time", withLines((l) => [...l.slice(0, 10), l[11] ?? "", l[10] ?? "", ...l.slice(12)]), "line 12 must be"],
    ["no Version line", withLines((l) => l.filter((x) => !x.startsWith("Version:"))), "line 7 must be"],
    ["no Issued At line", withLines((l) => l.filter((x) => !x.startsWith("Issued At:"))), "line 10 must be"],
    ["an unknown line", withLines((l) => [...l.slice(0, 10), "Color: blue", ...l.slice(10)]), "line 11 must be"],
    ["a line after the resources that is not one", `${base}\nnot a resource`, "line 17 is not expected"],
    ["Version 2", replaceLine("Version:", "Version: 2"), "Version must be"],
    ["a chain id with a leading zero", replaceLine("Chain ID:", "Chain ID: 01"), "Chain ID"],
    ["chain id 0", replaceLine("Chain ID:", "Chain ID: 0"), "Chain ID"],
    ["a chain id that is not a number", replaceLine("Chain ID:", "Chain ID: one"), "Chain ID"],
    ["a short nonce", replaceLine("Nonce:", "Nonce: abc1234"), "Nonce"],
    ["a nonce with punctuation", replaceLine("Nonce:", "Nonce: abcd-1234"), "Nonce"],
    ["a date with a space for T", replaceLine("Issued At:", "Issued At: 2024-05-01 12:00:00Z"), "Issued At is not"],
    ["a date without an offset", replaceLine("Issued At:", "Issued At: 2024-05-01T12:00:00"), "Issued At is not"],
    ["30 February", replaceLine("Issued At:", "Issued At: 2024-02-30T12:00:00Z"), "Issued At is not"],
    ["hour 24", replaceLine("Expiration Time:", "Expiration Time: 2024-05-01T24:00:00Z"), "Expiration Time is not"],
    ["an offset without a colon", replaceLine("Not Before:", "Not Before: 2024-05-01T12:00:00+0200"), "Not Before is not"],
    ["an RFC 2822 date", replaceLine("Issued At:", "Issued At: Wed, 01 May 2024 12:00:00 GMT"), "Issued At is not"],
    ["a URI with a space", replaceLine("URI:", "URI: https://example.com/a b"), "URI is not"],
    ["a URI without a scheme", replaceLine("URI:", "URI: //example.com/"), "URI is not"],
    ["a resource that is not a URI", base.replace("- https://example.com/my-web2-claim.json", "- not a uri"), "resource"],
    ["a request id with a slash", replaceLine("Request ID:", "Request ID: a/b"), "Request ID"],
    ["a domain with a path", base.replace("ceremony.example.org:8443 wants", "ceremony.example.org/x wants"), "domain"],
    ["an empty domain", base.replace("https://ceremony.example.org:8443 wants", " wants"), "domain"],
    ["a text longer than 8192 characters", replaceLine("Request ID:", `Request ID: ${"a".repeat(9000)}`), "longer than 8192"],
  ];
  it.each(refused)("refuses %s", (_, text, reason) => {
    const result = parseSiweMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(reason);
  });

  it("parses a long hostile line in linear time", () => {
    const start = performance.now();
    for (const filler of ["a:".repeat(3000), "a@".repeat(3000), "%a".repeat(3000), "/".repeat(6000)]) {
      expect(parseSiweMessage(replaceLine("URI:", `URI: x:${filler} `)).ok).toBe(false);
      expect(parseSiweMessage(base.replace("ceremony.example.org:8443 wants", `${filler}! wants`)).ok).toBe(false);
    }
    expect(performance.now() - start).toBeLessThan(1_000);
  });

  it("formats only valid fields", () => {
    expect(() => formatSiweMessage({ ...BASE, address: BASE.address.toLowerCase() })).toThrow(/EIP-55/);
    expect(() => formatSiweMessage({ ...BASE, statement: "a\nb" })).toThrow(/statement/);
    expect(() => formatSiweMessage({ ...BASE, statement: "" })).toThrow(/statement/);
    expect(() => formatSiweMessage({ ...BASE, chainId: 1.5 })).toThrow(/Chain ID/);
    expect(() => formatSiweMessage({ ...BASE, issuedAt: "yesterday" })).toThrow(/Issued At/);
  });
});

describe("RFC 3339 date-times", () => {
  it("reads offsets, fractions, leap days and leap seconds", () => {
    expect(rfc3339Millis("2024-05-01T12:00:00Z")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(rfc3339Millis("2024-05-01t12:00:00z")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(rfc3339Millis("2024-05-01T14:30:00+02:30")).toBe(Date.UTC(2024, 4, 1, 12));
    expect(rfc3339Millis("2024-05-01T11:00:00.1234-01:00")).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(rfc3339Millis("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(rfc3339Millis("2016-12-31T23:59:60Z")).toBe(Date.UTC(2017, 0, 1));
    expect(rfc3339Millis("0099-01-01T00:00:00Z")).toBe(Date.parse("0099-01-01T00:00:00Z"));
  });

  it("refuses what Date.parse would take", () => {
    for (const text of ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-04-31T00:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:61Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+24:00", "2024-05-01", "+002024-05-01T00:00:00Z", "2024-05-01T12:00Z"]) {
      expect(rfc3339Millis(text), text).toBeUndefined();
    }
  });
});
