import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBn128, type Curve } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BN254_Q,
  decodeContributions,
  encodeContributions,
  openPtau,
  writePtau,
  type ContributionRecord,
  type PtauReader,
} from "../../src/crypto/ptau.ts";
import { SECTIONS, sectionLengths, type SectionName } from "../../src/crypto/params.ts";
import { G1_SIZE, G2_SIZE, PUBKEY_SIZE } from "../../src/crypto/sizes.ts";

const POWER = 4;
const BEACON_HASH_HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

let curve: Curve;
let dir: string;
const files = { p0: "", p1: "", p2: "", p3: "", prepared: "" };

beforeAll(async () => {
  curve = await buildBn128(true);
  dir = await mkdtemp(join(tmpdir(), "ptau-test-"));
  files.p0 = join(dir, "p0.ptau");
  files.p1 = join(dir, "p1.ptau");
  files.p2 = join(dir, "p2.ptau");
  files.p3 = join(dir, "p3.ptau");
  files.prepared = join(dir, "prepared.ptau");
  await snarkjs.powersOfTau.newAccumulator(curve, POWER, files.p0);
  await snarkjs.powersOfTau.contribute(files.p0, files.p1, "alice", "entropy one");
  await snarkjs.powersOfTau.contribute(files.p1, files.p2, "bob \u2713 \u{1F600}", "entropy two");
  const res = await snarkjs.powersOfTau.beacon(files.p2, files.p3, "final beacon", BEACON_HASH_HEX, 10);
  if (res === false) throw new Error("snarkjs beacon refused its parameters");
  await snarkjs.powersOfTau.preparePhase2(files.p3, files.prepared);
});

afterAll(async () => {
  await curve?.terminate();
  // snarkjs builds its own multi-threaded BN254 curve (cached by ffjavascript in globalThis.curve_bn128) when it
  // reads a .ptau header; stop its worker threads too.
  const shared = (globalThis as { curve_bn128?: Curve | null }).curve_bn128;
  if (shared) await shared.terminate();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// --- helpers: a tiny independent parser/assembler of the container, to build hostile files ---------------------

type RawSection = [id: number, body: Uint8Array];

function splitSections(file: Uint8Array): RawSection[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const n = dv.getUint32(8, true);
  const out: RawSection[] = [];
  let pos = 12;
  for (let i = 0; i < n; i++) {
    const id = dv.getUint32(pos, true);
    const size = Number(dv.getBigUint64(pos + 4, true));
    out.push([id, file.slice(pos + 12, pos + 12 + size)]);
    pos += 12 + size;
  }
  return out;
}

function assemble(sections: RawSection[], opts: { magic?: string; version?: number } = {}): Uint8Array {
  const total = 12 + sections.reduce((a, [, b]) => a + 12 + b.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const magic = opts.magic ?? "ptau";
  for (let i = 0; i < 4; i++) out[i] = magic.charCodeAt(i);
  dv.setUint32(4, opts.version ?? 1, true);
  dv.setUint32(8, sections.length, true);
  let pos = 12;
  for (const [id, body] of sections) {
    dv.setUint32(pos, id, true);
    dv.setBigUint64(pos + 4, BigInt(body.length), true);
    out.set(body, pos + 12);
    pos += 12 + body.length;
  }
  return out;
}

function section(file: Uint8Array, id: number): Uint8Array {
  const s = splitSections(file).find(([i]) => i === id);
  if (!s) throw new Error(`no section ${id}`);
  return s[1];
}

let hostileCounter = 0;
async function writeHostile(bytes: Uint8Array): Promise<string> {
  const p = join(dir, `hostile-${hostileCounter++}.ptau`);
  await writeFile(p, bytes);
  return p;
}

async function expectOpenError(bytes: Uint8Array, message: RegExp): Promise<void> {
  const p = await writeHostile(bytes);
  await expect(openPtau(p)).rejects.toThrow(message);
}

async function withReader<T>(path: string, f: (r: PtauReader) => Promise<T>): Promise<T> {
  const r = await openPtau(path);
  try {
    return await f(r);
  } finally {
    await r.close();
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

// --- tests ------------------------------------------------------------------------------------------------------

describe("openPtau on snarkjs files", () => {
  it("reads a fresh accumulator: header, no records, generators", async () => {
    await withReader(files.p0, async (r) => {
      expect(r.header).toEqual({ power: POWER, ceremonyPower: POWER });
      expect(r.records).toEqual([]);
      const g1 = new Uint8Array(G1_SIZE);
      curve.G1.toRprLEM(g1, 0, curve.G1.g);
      const g2 = new Uint8Array(G2_SIZE);
      curve.G2.toRprLEM(g2, 0, curve.G2.g);
      const n = 2 ** POWER;
      const tau = await r.readPoints("tauG1", 0, 2 * n - 1);
      expect(tau.length).toBe((2 * n - 1) * G1_SIZE);
      for (let i = 0; i < 2 * n - 1; i++) expect(hex(tau.subarray(i * G1_SIZE, (i + 1) * G1_SIZE))).toBe(hex(g1));
      expect(hex(await r.readPoints("betaG2", 0, 1))).toBe(hex(g2));
      expect(hex(await r.readPoints("tauG2", n - 1, 1))).toBe(hex(g2));
    });
  });

  it("reads contributions and a beacon with their parameters", async () => {
    await withReader(files.p3, async (r) => {
      expect(r.header).toEqual({ power: POWER, ceremonyPower: POWER });
      expect(r.records.map((c) => c.type)).toEqual([0, 0, 1]);
      expect(r.records.map((c) => c.name)).toEqual(["alice", "bob \u2713 \u{1F600}", "final beacon"]);
      const [a, b, beacon] = r.records;
      expect(a?.numIterationsExp).toBeUndefined();
      expect(a?.beaconHash).toBeUndefined();
      expect(b?.beaconHash).toBeUndefined();
      expect(beacon?.numIterationsExp).toBe(10);
      expect(hex(beacon?.beaconHash ?? new Uint8Array())).toBe(BEACON_HASH_HEX);
      for (const c of r.records) {
        expect(c.tauG1.length).toBe(G1_SIZE);
        expect(c.tauG2.length).toBe(G2_SIZE);
        expect(c.alphaG1.length).toBe(G1_SIZE);
        expect(c.betaG1.length).toBe(G1_SIZE);
        expect(c.betaG2.length).toBe(G2_SIZE);
        expect(c.publicKey.length).toBe(PUBKEY_SIZE);
        expect(c.partialHash.length).toBe(216);
        expect(c.nextChallenge.length).toBe(64);
      }
      // The last record describes the accumulator stored in sections 2–6.
      expect(hex(beacon!.tauG1)).toBe(hex(await r.readPoints("tauG1", 1, 1)));
      expect(hex(beacon!.tauG2)).toBe(hex(await r.readPoints("tauG2", 1, 1)));
      expect(hex(beacon!.alphaG1)).toBe(hex(await r.readPoints("alphaTauG1", 0, 1)));
      expect(hex(beacon!.betaG1)).toBe(hex(await r.readPoints("betaTauG1", 0, 1)));
      expect(hex(beacon!.betaG2)).toBe(hex(await r.readPoints("betaG2", 0, 1)));
    });
    // Earlier records are carried over unchanged by later snarkjs runs.
    const early = await withReader(files.p2, async (r) => r.records);
    const late = await withReader(files.p3, async (r) => r.records.slice(0, 2));
    expect(late).toEqual(early);
  });

  it("stores the public key in snarkjs's order (tau.g1_s first, the three g2_spx last)", async () => {
    await withReader(files.p1, async (r) => {
      const key = r.records[0]!.publicKey;
      // tau.g1_sx = tau * tau.g1_s, and the accumulator's tauG1[1] = tau * G1: e(g1_s, tau*G2) = e(g1_sx, G2).
      const g1s = curve.G1.fromRprLEM(key, 0);
      const g1sx = curve.G1.fromRprLEM(key, G1_SIZE);
      const tauG2 = curve.G2.fromRprLEM(await r.readPoints("tauG2", 1, 1), 0);
      expect(await curve.pairingEq(g1s, tauG2, curve.G1.neg(g1sx), curve.G2.g)).toBe(true);
    });
  });

  it("accepts files with phase-2 sections 12–15 and ignores them", async () => {
    const prepared = new Uint8Array(await readFile(files.prepared));
    expect(splitSections(prepared).map(([id]) => id)).toEqual([1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
    const a = await withReader(files.prepared, async (r) => ({ h: r.header, rec: r.records }));
    const b = await withReader(files.p3, async (r) => ({ h: r.header, rec: r.records }));
    expect(a).toEqual(b);
  });

  it("bounds-checks readPoints", async () => {
    await withReader(files.p3, async (r) => {
      const n = 2 ** POWER;
      expect((await r.readPoints("tauG1", 2 * n - 2, 1)).length).toBe(G1_SIZE);
      expect((await r.readPoints("alphaTauG1", n, 0)).length).toBe(0);
      await expect(r.readPoints("tauG1", 2 * n - 2, 2)).rejects.toThrow(/out of range/);
      await expect(r.readPoints("tauG2", n, 1)).rejects.toThrow(/out of range/);
      await expect(r.readPoints("betaG2", 0, 2)).rejects.toThrow(/out of range/);
      await expect(r.readPoints("betaTauG1", -1, 1)).rejects.toThrow(/out of range/);
      await expect(r.readPoints("betaTauG1", 0.5, 1)).rejects.toThrow(/out of range/);
      await expect(r.readPoints("nope" as SectionName, 0, 1)).rejects.toThrow(/unknown section/);
    });
    const r = await openPtau(files.p3);
    await r.close();
    await expect(r.readPoints("tauG1", 0, 1)).rejects.toThrow(/closed/);
  });
});

describe("writePtau", () => {
  it("rewrites every snarkjs file byte for byte, streaming in bounded consecutive batches", async () => {
    for (const [label, path] of Object.entries(files)) {
      const out = join(dir, `rewrite-${label}.ptau`);
      const calls: [SectionName, number, number][] = [];
      await withReader(path, async (r) => {
        await writePtau(
          out,
          r.header,
          r.records,
          async (s, start, count) => {
            calls.push([s, start, count]);
            return r.readPoints(s, start, count);
          },
          { batch: 7 },
        );
      });
      // A phase-2-prepared file rewrites to its sections 1–7, i.e. to the file it was prepared from.
      const expected = await readFile(label === "prepared" ? files.p3 : path);
      const actual = await readFile(out);
      expect(actual.length, label).toBe(expected.length);
      expect(Buffer.compare(actual, expected), label).toBe(0);
      await expect(readFile(`${out}.tmp`)).rejects.toThrow();

      // Calls come in section order, consecutive, each at most `batch` points, covering every section exactly.
      const lens = sectionLengths(POWER);
      let i = 0;
      for (const s of SECTIONS) {
        let next = 0;
        while (next < lens[s]) {
          const c = calls[i++];
          expect(c).toEqual([s, next, Math.min(7, lens[s] - next)]);
          next += Math.min(7, lens[s] - next);
        }
      }
      expect(i).toBe(calls.length);
    }
  });

  it("writes files snarkjs verifies", async () => {
    const out = join(dir, "rewrite-verify.ptau");
    await withReader(files.p3, (r) => writePtau(out, r.header, r.records, (s, a, n) => r.readPoints(s, a, n)));
    expect(await snarkjs.powersOfTau.verify(out)).toBe(true);
  });

  it("refuses wrong-sized batches and leaves neither the file nor the temporary behind", async () => {
    const sub = await mkdtemp(join(dir, "fail-"));
    const out = join(sub, "bad.ptau");
    await withReader(files.p1, async (r) => {
      await expect(
        writePtau(out, r.header, r.records, async (s, a, n) => {
          const b = await r.readPoints(s, a, n);
          return s === "alphaTauG1" ? b.subarray(0, b.length - 1) : b;
        }),
      ).rejects.toThrow(/returned \d+ bytes, expected \d+/);
    });
    expect(await readdir(sub)).toEqual([]);
  });

  it("validates the header and the records before writing anything", async () => {
    const sub = await mkdtemp(join(dir, "fail-"));
    const out = join(sub, "bad.ptau");
    const none = async (): Promise<Uint8Array> => {
      throw new Error("must not be called");
    };
    await expect(writePtau(out, { power: 0, ceremonyPower: 0 }, [], none)).rejects.toThrow(/power 0 out of range/);
    await expect(writePtau(out, { power: 5, ceremonyPower: 4 }, [], none)).rejects.toThrow(/ceremonyPower/);
    const rec = await withReader(files.p1, async (r) => r.records[0]!);
    await expect(writePtau(out, { power: 4, ceremonyPower: 4 }, [{ ...rec, tauG2: new Uint8Array(64) }], none)).rejects.toThrow(
      /tauG2 must be 128 bytes/,
    );
    await expect(writePtau(out, { power: 4, ceremonyPower: 4 }, [], none, { batch: 0 })).rejects.toThrow(/batch/);
    expect(await readdir(sub)).toEqual([]);
  });
});

describe("encodeContributions / decodeContributions", () => {
  it("matches snarkjs's section 7 bytes and round-trips", async () => {
    for (const path of [files.p0, files.p1, files.p2, files.p3]) {
      const raw = section(new Uint8Array(await readFile(path)), 7);
      const records = await withReader(path, async (r) => r.records);
      expect(hex(encodeContributions(records))).toBe(hex(raw));
      expect(decodeContributions(raw)).toEqual(records);
      expect(decodeContributions(encodeContributions(records))).toEqual(records);
    }
  });

  it("round-trips synthetic records, with and without optional params", () => {
    const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
    const base = {
      tauG1: bytes(64, 1),
      tauG2: bytes(128, 2),
      alphaG1: bytes(64, 3),
      betaG1: bytes(64, 4),
      betaG2: bytes(128, 5),
      publicKey: bytes(PUBKEY_SIZE, 6),
      partialHash: bytes(216, 7),
      nextChallenge: bytes(64, 8),
    };
    const records: ContributionRecord[] = [
      { ...base, type: 0 },
      { ...base, type: 0, name: "x".repeat(200) },
      { ...base, type: 1, numIterationsExp: 63, beaconHash: bytes(255, 9) },
      { ...base, type: 1, name: "\u00e9", numIterationsExp: 10, beaconHash: new Uint8Array(0) },
    ];
    const enc = encodeContributions(records);
    expect(decodeContributions(enc)).toEqual(records);
    expect(encodeContributions(decodeContributions(enc))).toEqual(enc);
    // An empty name is not written, as in snarkjs.
    expect(encodeContributions([{ ...base, type: 0, name: "" }])).toEqual(encodeContributions([{ ...base, type: 0 }]));
    expect(() => encodeContributions([{ ...base, type: 1 }])).toThrow(/beacon needs/);
    expect(() => encodeContributions([{ ...base, type: 0, name: "\u00e9".repeat(128) }])).toThrow(/at most 255/);
    expect(() => encodeContributions([{ ...base, type: 2 as 0 }])).toThrow(/type must be/);
    expect(() => encodeContributions([{ ...base, type: 1, numIterationsExp: 256, beaconHash: new Uint8Array(1) }])).toThrow(
      /numIterationsExp/,
    );
  });

  it("rejects malformed contribution sections", async () => {
    const rec = await withReader(files.p3, async (r) => r.records[2]!);
    const good = encodeContributions([rec]);
    const paramsAt = 4 + 3 * 64 + 2 * 128 + PUBKEY_SIZE + 216 + 64; // u32 type, u32 params length, params
    const dvOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
    expect(dvOf(good).getUint32(paramsAt, true)).toBe(1);
    const params = good.subarray(paramsAt + 8);
    // name (1), numIterationsExp (2), beaconHash (3), in that order.
    expect(params[0]).toBe(1);

    const withParams = (ps: number[]): Uint8Array => {
      const b = new Uint8Array(paramsAt + 8 + ps.length);
      b.set(good.subarray(0, paramsAt + 4));
      dvOf(b).setUint32(paramsAt + 4, ps.length, true);
      b.set(ps, paramsAt + 8);
      return b;
    };
    const beaconParams = [2, 10, 3, 2, 0xab, 0xcd];
    expect(decodeContributions(withParams([1, 1, 0x61, ...beaconParams]))[0]).toMatchObject({ name: "a", numIterationsExp: 10 });
    // Parameters out of order: numIterationsExp before name.
    expect(() => decodeContributions(withParams([...beaconParams.slice(0, 2), 1, 1, 0x61, ...beaconParams.slice(2)]))).toThrow(
      /sorted by type without repeats \(type 1 after 2\)/,
    );
    // Repeated parameter type.
    expect(() => decodeContributions(withParams([1, 1, 0x61, 1, 1, 0x62, ...beaconParams]))).toThrow(/type 1 after 1/);
    // Type 0 is not a parameter.
    expect(() => decodeContributions(withParams([0, ...beaconParams]))).toThrow(/type 0 after 0/);

    // Unknown parameter type.
    const unknown = good.slice();
    unknown[paramsAt + 8] = 9;
    expect(() => decodeContributions(unknown)).toThrow(/unknown contribution parameter type 9/);

    // Unknown record type.
    const badType = good.slice();
    dvOf(badType).setUint32(paramsAt, 2, true);
    expect(() => decodeContributions(badType)).toThrow(/unknown contribution type 2/);

    // Beacon without its parameters.
    expect(() => decodeContributions(withParams([1, 1, 0x61]))).toThrow(/lacks numIterationsExp or beaconHash/);
    expect(() => decodeContributions(withParams([2, 10]))).toThrow(/lacks numIterationsExp or beaconHash/);

    // Params length overrunning the section, a param overrunning the params, trailing bytes, a wrong count.
    const overrun = good.slice();
    dvOf(overrun).setUint32(paramsAt + 4, 10_000, true);
    expect(() => decodeContributions(overrun)).toThrow(/truncated/);
    const shortParams = good.slice(0, paramsAt + 8 + 3);
    dvOf(shortParams).setUint32(paramsAt + 4, 3, true);
    expect(() => decodeContributions(shortParams)).toThrow(/overruns/);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(() => decodeContributions(trailing)).toThrow(/1 trailing bytes/);
    const manyRecords = good.slice();
    dvOf(manyRecords).setUint32(0, 2, true);
    expect(() => decodeContributions(manyRecords)).toThrow(/claims 2 contributions/);
    expect(() => decodeContributions(good.subarray(0, 2))).toThrow(/truncated/);
    const badUtf8 = good.slice();
    badUtf8[paramsAt + 8 + 2] = 0xff;
    expect(() => decodeContributions(badUtf8)).toThrow(/UTF-8/);
  });
});

describe("openPtau on hostile files", () => {
  let good: Uint8Array;
  let secs: RawSection[];
  beforeAll(async () => {
    good = new Uint8Array(await readFile(files.p2));
    secs = splitSections(good);
  });
  const replace = (id: number, body: Uint8Array): RawSection[] => secs.map(([i, b]) => [i, i === id ? body : b]);

  it("sanity: the reassembled file is the original and opens", async () => {
    expect(hex(assemble(secs))).toBe(hex(good));
    const p = await writeHostile(assemble(secs));
    await withReader(p, async (r) => expect(r.records.length).toBe(2));
  });

  it("rejects truncated files", async () => {
    for (const cut of [0, 3, 11, 12, 20, 60, 1000, good.length - 1000, good.length - 1]) {
      await expectOpenError(good.subarray(0, cut), cut < 4 ? /bad magic/ : /truncated/);
    }
  });

  it("rejects a wrong magic and an unsupported version", async () => {
    await expectOpenError(assemble(secs, { magic: "zkey" }), /bad magic "zkey"/);
    await expectOpenError(assemble(secs, { version: 2 }), /unsupported \.ptau version 2/);
  });

  it("rejects other curves", async () => {
    const header = section(good, 1);
    const wrongQ = header.slice();
    wrongQ[4] = (wrongQ[4]! + 2) & 0xff; // q + 2 (still odd)
    await expectOpenError(assemble(replace(1, wrongQ)), /unsupported curve: base field prime q = \d+ is not BN254's/);

    // A BLS12-381 header: n8 = 48 and its q.
    const blsQ = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;
    const bls = new Uint8Array(4 + 48 + 8);
    const dv = new DataView(bls.buffer);
    dv.setUint32(0, 48, true);
    let q = blsQ;
    for (let i = 0; i < 48; i++) {
      bls[4 + i] = Number(q & 0xffn);
      q >>= 8n;
    }
    dv.setUint32(52, POWER, true);
    dv.setUint32(56, POWER, true);
    await expectOpenError(assemble(replace(1, bls)), /unsupported curve: field elements of 48 bytes/);
    expect(BN254_Q).not.toBe(blsQ);
  });

  it("rejects sections whose size does not match the power", async () => {
    const tau = section(good, 2);
    await expectOpenError(assemble(replace(2, tau.subarray(0, tau.length - 64))), /section 2 \(tauG1\) is \d+ bytes, expected \d+ \(31 points\) for power 4/);
    await expectOpenError(assemble(replace(6, new Uint8Array(256))), /section 6 \(betaG2\) is 256 bytes, expected 128/);
    // A header claiming power 5 over power-4 data.
    const header = section(good, 1).slice();
    new DataView(header.buffer).setUint32(36, 5, true);
    new DataView(header.buffer).setUint32(40, 5, true);
    await expectOpenError(assemble(replace(1, header)), /section 2 \(tauG1\) is \d+ bytes, expected \d+ \(63 points\) for power 5/);
    // Bad header size and powers.
    await expectOpenError(assemble(replace(1, new Uint8Array([...section(good, 1), 0]))), /header section is 45 bytes/);
    const reduced = section(good, 1).slice();
    new DataView(reduced.buffer).setUint32(40, 3, true);
    await expectOpenError(assemble(replace(1, reduced)), /ceremonyPower 3/);
  });

  it("rejects missing and duplicated sections, accepts unknown sections above 7", async () => {
    await expectOpenError(assemble(secs.filter(([id]) => id !== 3)), /missing section 3 \(tauG2\)/);
    await expectOpenError(assemble(secs.filter(([id]) => id !== 7)), /missing section 7 \(contributions\)/);
    await expectOpenError(assemble(secs.filter(([id]) => id !== 1)), /missing section 1 \(header\)/);
    await expectOpenError(assemble([...secs, secs[4]!]), /duplicated section 5/);
    await expectOpenError(assemble([[0, new Uint8Array(0)], ...secs]), /invalid section id 0/);
    // Sections in another order, and extra sections (even repeated), are fine.
    const extra: RawSection[] = [[13, new Uint8Array(5)], ...secs.slice().reverse(), [99, new Uint8Array(0)], [13, new Uint8Array(1)]];
    const p = await writeHostile(assemble(extra));
    await withReader(p, async (r) => {
      expect(r.records.length).toBe(2);
      expect(hex(await r.readPoints("tauG1", 3, 2))).toBe(hex(section(good, 2).subarray(3 * 64, 5 * 64)));
    });
  });

  it("rejects a section size running past the end of file, and trailing garbage", async () => {
    const big = good.slice();
    const dv = new DataView(big.buffer);
    // The first section's u64 size, made huge.
    dv.setBigUint64(16, 1n << 60n, true);
    await expectOpenError(big, /truncated file: section 1 declares \d+ bytes/);
    const more = new Uint8Array(good.length + 3);
    more.set(good);
    await expectOpenError(more, /3 unexpected trailing bytes/);
    const manySections = good.slice();
    new DataView(manySections.buffer).setUint32(8, 0xffffffff, true);
    await expectOpenError(manySections, /truncated file: 4294967295 sections declared/);
  });

  it("rejects a malformed contributions section with the file name in the message", async () => {
    const body = section(good, 7).slice();
    new DataView(body.buffer).setUint32(0, 3, true);
    const p = await writeHostile(assemble(replace(7, body)));
    await expect(openPtau(p)).rejects.toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: contributions section claims 3`));
  });
});
