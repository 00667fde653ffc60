// Invitation tokens: unguessable, printable, and never stored: the coordinator keeps a tagged hash.
import { createHash } from "node:crypto";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { TOKEN_SYNTAX, TokenSchema, newToken, tokenIdentity, verifyToken } from "../../src/identity/index.ts";

describe("invitation tokens", () => {
  it("are unique, cer_ and 32 base32 digits, and use the whole alphabet", () => {
    const tokens = Array.from({ length: 20_000 }, newToken);
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) expect(token).toMatch(TOKEN_SYNTAX);
    const used = new Set(tokens.flatMap((t) => [...t.slice(4)]));
    expect([...used].sort().join("")).toBe("234567abcdefghijklmnopqrstuvwxyz");
  });

  it("have a stable identity: sha256 of the tagged token (checked with node:crypto), distinct per token", () => {
    const token = "cer_abcdefghijklmnopqrstuvwxyz234567";
    const expected = createHash("sha256").update("ceremony/invitation-token/v1\0").update(token).digest("hex");
    expect(tokenIdentity(token)).toBe(expected);
    expect(tokenIdentity(token)).toBe(expected);
    expect(tokenIdentity("cer_abcdefghijklmnopqrstuvwxyz234566")).not.toBe(expected);
    expect(tokenIdentity(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("are refused by the schema unless well-formed", () => {
    const good = newToken();
    expect(v.is(TokenSchema, good)).toBe(true);
    const junk: unknown[] = [
      "",
      good.toUpperCase(),
      good.replace("cer_", "tok_"),
      good.slice(4),
      good.slice(0, -1),
      `${good}a`,
      ` ${good}`,
      `${good}\n`,
      `${good.slice(0, -1)}1`,
      `${good.slice(0, -1)}=`,
      42,
      null,
      { token: good },
    ];
    for (const value of junk) {
      expect(v.is(TokenSchema, value), String(value)).toBe(false);
      if (typeof value === "string") expect(() => tokenIdentity(value)).toThrow(TypeError);
    }
  });

  it("admit the holder of a minted token only, without quoting the token", () => {
    const minted = newToken();
    const other = newToken();
    const list = new Set([tokenIdentity(minted)]);
    const isMinted = (id: string) => list.has(id);
    expect(verifyToken(minted, isMinted)).toEqual({ ok: true, identity: tokenIdentity(minted) });
    const unknown = verifyToken(other, isMinted);
    expect(unknown).toMatchObject({ ok: false, code: "TOKEN_UNKNOWN" });
    expect(JSON.stringify(unknown)).not.toContain(other);
    expect(verifyToken(`${minted}x`, isMinted)).toMatchObject({ ok: false, code: "TOKEN_MALFORMED" });
    expect(JSON.stringify(verifyToken(`${minted}x`, isMinted))).not.toContain(minted);
  });
});
