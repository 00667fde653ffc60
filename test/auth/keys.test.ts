// Participant key pairs and key files.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateKeyPair, KEY_FILE_TYPE, KeyFileError, publicKeyOf, readKeyFile, writeKeyFile } from "../../src/auth/keys.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-keys-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectKeyFileError(promise: Promise<unknown>, code: string, message: RegExp): Promise<KeyFileError> {
  const error = await promise.then(
    () => expect.unreachable("expected a KeyFileError"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeyFileError);
  expect((error as KeyFileError).code).toBe(code);
  expect((error as KeyFileError).message).toMatch(message);
  return error as KeyFileError;
}

describe("generateKeyPair", () => {
  it("returns a fresh 32-byte seed and its public key, in lowercase hex", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.publicKey).toMatch(/^[0-9a-f]{64}$/);
    expect(a.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(publicKeyOf(a.secretKey)).toBe(a.publicKey);
    expect(b.secretKey).not.toBe(a.secretKey);
  });

  it("derives RFC 8032 public keys (test vector 1)", () => {
    expect(publicKeyOf("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")).toBe(
      "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    );
  });
});

describe("key files", () => {
  it("round-trips through a file created with mode 0600", async () => {
    const key = generateKeyPair();
    const path = join(dir, "participant.key");
    await writeKeyFile(path, key);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ type: KEY_FILE_TYPE, ...key });
    expect(await readKeyFile(path)).toEqual(key);
    expect(await readdir(dir)).toEqual(["participant.key"]); // no temporary file left behind
  });

  it("refuses to overwrite an existing file and leaves it untouched", async () => {
    const path = join(dir, "participant.key");
    const first = generateKeyPair();
    await writeKeyFile(path, first);
    await expectKeyFileError(writeKeyFile(path, generateKeyPair()), "KEY_FILE_EXISTS", /already exists there; refusing to overwrite/);
    expect(await readKeyFile(path)).toEqual(first);
    expect(await readdir(dir)).toEqual(["participant.key"]);
  });

  it("refuses to overwrite a file that is not a key file either", async () => {
    const path = join(dir, "notes.txt");
    await writeFile(path, "precious");
    await expectKeyFileError(writeKeyFile(path, generateKeyPair()), "KEY_FILE_EXISTS", /refusing to overwrite/);
    expect(await readFile(path, "utf8")).toBe("precious");
  });

  it("refuses to write a key whose public key does not match its secret key", async () => {
    const path = join(dir, "participant.key");
    const key = { publicKey: generateKeyPair().publicKey, secretKey: generateKeyPair().secretKey };
    await expectKeyFileError(writeKeyFile(path, key), "KEY_FILE_MISMATCH", /publicKey does not match secretKey/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("reports a missing file", async () => {
    await expectKeyFileError(readKeyFile(join(dir, "absent.key")), "KEY_FILE_MISSING", /absent\.key: no key file/);
  });

  it("reports bad JSON without quoting the file", async () => {
    const path = join(dir, "broken.key");
    const { secretKey } = generateKeyPair();
    await writeFile(path, `{ "type": "ceremony-ed25519", "secretKey": "${secretKey}" `);
    const error = await expectKeyFileError(readKeyFile(path), "KEY_FILE_NOT_JSON", /broken\.key: not valid JSON/);
    expect(error.message).not.toContain(secretKey.slice(0, 8));
  });

  it("reports a wrong type", async () => {
    const path = join(dir, "other.key");
    await writeFile(path, JSON.stringify({ ...generateKeyPair(), type: "ssh-ed25519" }));
    await expectKeyFileError(readKeyFile(path), "KEY_FILE_WRONG_TYPE", /type must be "ceremony-ed25519"/);
  });

  it("reports mismatched keys", async () => {
    const path = join(dir, "mismatch.key");
    await writeFile(path, JSON.stringify({ type: KEY_FILE_TYPE, publicKey: generateKeyPair().publicKey, secretKey: generateKeyPair().secretKey }));
    await expectKeyFileError(readKeyFile(path), "KEY_FILE_MISMATCH", /publicKey does not match secretKey/);
  });

  it("reports malformed fields without echoing the secret", async () => {
    const path = join(dir, "upper.key");
    const key = generateKeyPair();
    const secretKey = key.secretKey.toUpperCase().replace(/^./, "Z");
    await writeFile(path, JSON.stringify({ type: KEY_FILE_TYPE, publicKey: key.publicKey, secretKey }));
    const error = await expectKeyFileError(readKeyFile(path), "KEY_FILE_INVALID", /secretKey must be 64 lowercase hex digits/);
    expect(error.message).not.toContain(secretKey.slice(1, 9));
    await writeFile(path, JSON.stringify([1, 2]));
    await expectKeyFileError(readKeyFile(path), "KEY_FILE_INVALID", /exactly the fields type, publicKey and secretKey/);
    await writeFile(path, JSON.stringify({ type: KEY_FILE_TYPE, ...key, comment: "mine" }));
    await expectKeyFileError(readKeyFile(path), "KEY_FILE_INVALID", /exactly the fields/);
  });
});
