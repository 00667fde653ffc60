/**
 * Reader and streaming writer of the .ptau container (sections 1–7), byte-compatible with snarkjs 0.7.x.
 *
 * Layout: magic "ptau", u32 version (1), u32 number of sections, then per section u32 id, u64 byte size, body;
 * all little-endian. Points are affine little-endian Montgomery ("LEM"). Section ids: 1 header, 2 tauG1,
 * 3 tauG2, 4 alphaTauG1, 5 betaTauG1, 6 betaG2, 7 contributions; ids above 7 (e.g. 12–15 written by
 * `powersoftau prepare phase2`) are accepted and ignored by the reader.
 */
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { G1_SIZE, G2_SIZE, HASH_SIZE, N8, PUBKEY_SIZE } from "./sizes.ts";
import { MAX_POWER, SECTIONS, SECTION_GROUP, sectionLengths, type SectionName } from "./params.ts";

export interface ContributionRecord {
  tauG1: Uint8Array; // 64 bytes LEM
  tauG2: Uint8Array; // 128 bytes LEM
  alphaG1: Uint8Array; // 64
  betaG1: Uint8Array; // 64
  betaG2: Uint8Array; // 128
  /** PUBKEY_SIZE bytes, LEM: tau.g1_s, tau.g1_sx, alpha.g1_s, alpha.g1_sx, beta.g1_s, beta.g1_sx, tau.g2_spx, alpha.g2_spx, beta.g2_spx. */
  publicKey: Uint8Array;
  partialHash: Uint8Array; // 216 bytes
  nextChallenge: Uint8Array; // 64 bytes
  type: 0 | 1; // 0 contribution, 1 beacon
  name?: string;
  numIterationsExp?: number; // beacon only
  beaconHash?: Uint8Array; // beacon only
}

export interface PtauHeader {
  power: number;
  ceremonyPower: number;
}

export interface PtauReader {
  header: PtauHeader;
  records: ContributionRecord[];
  /** Reads `count` points starting at absolute index `start` of a section, as raw LEM bytes. Bounds-checked. */
  readPoints(section: SectionName, start: number, count: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The BN254 base field prime; the only curve accepted. */
export const BN254_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export const PTAU_MAGIC = "ptau";
export const PTAU_VERSION = 1;
export const PARTIAL_HASH_SIZE = 216;

/** Section ids of the accumulator sections. */
export const SECTION_ID: Record<SectionName, number> = {
  tauG1: 2,
  tauG2: 3,
  alphaTauG1: 4,
  betaTauG1: 5,
  betaG2: 6,
};
const HEADER_SECTION = 1;
const CONTRIBUTIONS_SECTION = 7;

/** Body size of section 1: n8, q, power, ceremonyPower. */
const HEADER_BODY_SIZE = 4 + N8 + 4 + 4;
/** Fixed part of a record: five points, key, partial hash, next challenge, u32 type, u32 params length. */
const RECORD_FIXED_SIZE = 3 * G1_SIZE + 2 * G2_SIZE + PUBKEY_SIZE + PARTIAL_HASH_SIZE + HASH_SIZE + 4 + 4;
/** The contributions section is read into memory; a real one is a few KiB per contributor. */
const MAX_CONTRIBUTIONS_SECTION = 64 * 1024 * 1024;
const DEFAULT_BATCH = 65536;

const PARAM_NAME = 1;
const PARAM_NUM_ITERATIONS_EXP = 2;
const PARAM_BEACON_HASH = 3;

function pointBytes(section: SectionName): number {
  return SECTION_GROUP[section] === "G1" ? G1_SIZE : G2_SIZE;
}

function qBytesLE(): Uint8Array {
  const out = new Uint8Array(N8);
  let q = BN254_Q;
  for (let i = 0; i < N8; i++) {
    out[i] = Number(q & 0xffn);
    q >>= 8n;
  }
  return out;
}

function leToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
  return v;
}

function checkPowers(header: PtauHeader, what: string): void {
  const { power, ceremonyPower } = header;
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) {
    throw new Error(`${what}: power ${power} out of range 1..${MAX_POWER}`);
  }
  if (!Number.isInteger(ceremonyPower) || ceremonyPower < power || ceremonyPower > MAX_POWER) {
    throw new Error(`${what}: ceremonyPower ${ceremonyPower} must be an integer in ${power}..${MAX_POWER} (at least power)`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Section 7: contributions

/** Encodes the body of section 7 exactly as snarkjs's writeContributions does (without the section header). */
export function encodeContributions(records: ContributionRecord[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let total = 4;
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, records.length, true);
  parts.push(count);

  records.forEach((r, idx) => {
    const what = `contribution #${idx + 1}`;
    const fixed: [string, Uint8Array, number][] = [
      ["tauG1", r.tauG1, G1_SIZE],
      ["tauG2", r.tauG2, G2_SIZE],
      ["alphaG1", r.alphaG1, G1_SIZE],
      ["betaG1", r.betaG1, G1_SIZE],
      ["betaG2", r.betaG2, G2_SIZE],
      ["publicKey", r.publicKey, PUBKEY_SIZE],
      ["partialHash", r.partialHash, PARTIAL_HASH_SIZE],
      ["nextChallenge", r.nextChallenge, HASH_SIZE],
    ];
    for (const [field, value, size] of fixed) {
      if (!(value instanceof Uint8Array) || value.length !== size) {
        throw new Error(`${what}: ${field} must be ${size} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`);
      }
    }
    if (r.type !== 0 && r.type !== 1) throw new Error(`${what}: type must be 0 (contribution) or 1 (beacon), got ${String(r.type)}`);

    // Params, sorted by type. snarkjs writes the name when it is non-empty, and the beacon params for beacons.
    const params: number[] = [];
    if (r.name !== undefined && r.name !== "") {
      const nameBytes = enc.encode(r.name);
      if (nameBytes.length > 255) throw new Error(`${what}: name is ${nameBytes.length} UTF-8 bytes, at most 255 fit`);
      params.push(PARAM_NAME, nameBytes.length, ...nameBytes);
    }
    if (r.type === 1 && (r.numIterationsExp === undefined || r.beaconHash === undefined)) {
      throw new Error(`${what}: a beacon needs numIterationsExp and beaconHash`);
    }
    if (r.numIterationsExp !== undefined) {
      if (!Number.isInteger(r.numIterationsExp) || r.numIterationsExp < 0 || r.numIterationsExp > 255) {
        throw new Error(`${what}: numIterationsExp must be an integer in 0..255, got ${r.numIterationsExp}`);
      }
      params.push(PARAM_NUM_ITERATIONS_EXP, r.numIterationsExp);
    }
    if (r.beaconHash !== undefined) {
      if (!(r.beaconHash instanceof Uint8Array) || r.beaconHash.length > 255) {
        throw new Error(`${what}: beaconHash must be at most 255 bytes`);
      }
      params.push(PARAM_BEACON_HASH, r.beaconHash.length, ...r.beaconHash);
    }

    const buf = new Uint8Array(RECORD_FIXED_SIZE + params.length);
    let pos = 0;
    for (const [, value] of fixed) {
      buf.set(value, pos);
      pos += value.length;
    }
    const dv = new DataView(buf.buffer);
    dv.setUint32(pos, r.type, true);
    dv.setUint32(pos + 4, params.length, true);
    pos += 8;
    buf.set(params, pos);
    parts.push(buf);
    total += buf.length;
  });

  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Decodes the body of section 7. Throws on any malformed or trailing data. */
export function decodeContributions(body: Uint8Array): ContributionRecord[] {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let pos = 0;
  const need = (n: number, what: string): void => {
    if (pos + n > body.length) {
      throw new Error(`contributions section truncated: ${what} needs ${n} bytes at offset ${pos}, section has ${body.length}`);
    }
  };
  const take = (n: number, what: string): Uint8Array => {
    need(n, what);
    const out = body.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const u32 = (what: string): number => {
    need(4, what);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };

  const count = u32("contribution count");
  if (count * RECORD_FIXED_SIZE > body.length - 4) {
    throw new Error(`contributions section claims ${count} contributions but holds only ${body.length} bytes`);
  }
  const dec = new TextDecoder("utf-8", { fatal: true });
  const records: ContributionRecord[] = [];
  for (let i = 0; i < count; i++) {
    const what = `contribution #${i + 1}`;
    const tauG1 = take(G1_SIZE, `${what} tauG1`);
    const tauG2 = take(G2_SIZE, `${what} tauG2`);
    const alphaG1 = take(G1_SIZE, `${what} alphaG1`);
    const betaG1 = take(G1_SIZE, `${what} betaG1`);
    const betaG2 = take(G2_SIZE, `${what} betaG2`);
    const publicKey = take(PUBKEY_SIZE, `${what} publicKey`);
    const partialHash = take(PARTIAL_HASH_SIZE, `${what} partialHash`);
    const nextChallenge = take(HASH_SIZE, `${what} nextChallenge`);
    const type = u32(`${what} type`);
    if (type !== 0 && type !== 1) throw new Error(`${what}: unknown contribution type ${type} (0 contribution, 1 beacon)`);
    const record: ContributionRecord = { tauG1, tauG2, alphaG1, betaG1, betaG2, publicKey, partialHash, nextChallenge, type };

    const paramsLength = u32(`${what} params length`);
    need(paramsLength, `${what} params`);
    const end = pos + paramsLength;
    const inParams = (n: number, label: string): void => {
      if (pos + n > end) throw new Error(`${what}: parameter ${label} overruns the params (length ${paramsLength})`);
    };
    let lastType = 0;
    while (pos < end) {
      const pType = body[pos] ?? 0;
      pos += 1;
      if (pType <= lastType) {
        throw new Error(`${what}: contribution params must be sorted by type without repeats (type ${pType} after ${lastType})`);
      }
      lastType = pType;
      if (pType === PARAM_NAME) {
        inParams(1, "name length");
        const len = body[pos] ?? 0;
        pos += 1;
        inParams(len, "name");
        try {
          record.name = dec.decode(body.subarray(pos, pos + len));
        } catch {
          throw new Error(`${what}: name is not valid UTF-8`);
        }
        pos += len;
      } else if (pType === PARAM_NUM_ITERATIONS_EXP) {
        inParams(1, "numIterationsExp");
        record.numIterationsExp = body[pos] ?? 0;
        pos += 1;
      } else if (pType === PARAM_BEACON_HASH) {
        inParams(1, "beaconHash length");
        const len = body[pos] ?? 0;
        pos += 1;
        inParams(len, "beaconHash");
        record.beaconHash = body.slice(pos, pos + len);
        pos += len;
      } else {
        throw new Error(`${what}: unknown contribution parameter type ${pType}`);
      }
    }
    if (type === 1 && (record.numIterationsExp === undefined || record.beaconHash === undefined)) {
      throw new Error(`${what}: beacon contribution lacks numIterationsExp or beaconHash`);
    }
    records.push(record);
  }
  if (pos !== body.length) {
    throw new Error(`contributions section has ${body.length - pos} trailing bytes after ${count} contributions`);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------------------------
// Reader

async function readExactly(fh: FileHandle, buf: Uint8Array, position: number, what: string): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error(`${what}: unexpected end of file at offset ${position + done}`);
    done += bytesRead;
  }
}

interface SectionLoc {
  pos: number;
  size: number;
}

/** Opens a .ptau file, validates its structure (not its points) and reads the header and the contributions. */
export async function openPtau(path: string): Promise<PtauReader> {
  const fh = await open(path, "r");
  try {
    return await parse(fh, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
}

async function parse(fh: FileHandle, path: string): Promise<PtauReader> {
  const fail = (msg: string): never => {
    throw new Error(`${path}: ${msg}`);
  };
  const fileSize = (await fh.stat()).size;

  const pre = new Uint8Array(12);
  const preLen = Math.min(12, fileSize);
  await readExactly(fh, pre.subarray(0, preLen), 0, path);
  const magic = String.fromCharCode(...pre.subarray(0, 4));
  if (preLen < 4 || magic !== PTAU_MAGIC) fail(`not a .ptau file (bad magic ${JSON.stringify(magic)}, expected "ptau")`);
  if (preLen < 12) fail(`truncated file: ${fileSize} bytes, too short for the file header`);
  const preDv = new DataView(pre.buffer);
  const version = preDv.getUint32(4, true);
  if (version !== PTAU_VERSION) fail(`unsupported .ptau version ${version} (only ${PTAU_VERSION} is supported)`);
  const nSections = preDv.getUint32(8, true);
  if (nSections * 12 > fileSize - 12) fail(`truncated file: ${nSections} sections declared but the file has only ${fileSize} bytes`);

  // Scan the section table.
  const sections = new Map<number, SectionLoc>();
  const sh = new Uint8Array(12);
  const shDv = new DataView(sh.buffer);
  let pos = 12;
  for (let i = 0; i < nSections; i++) {
    if (pos + 12 > fileSize) fail(`truncated file: header of section #${i + 1} at offset ${pos} runs past the end (${fileSize} bytes)`);
    await readExactly(fh, sh, pos, path);
    const id = shDv.getUint32(0, true);
    const size64 = shDv.getBigUint64(4, true);
    pos += 12;
    if (size64 > BigInt(fileSize - pos)) {
      fail(`truncated file: section ${id} declares ${size64} bytes at offset ${pos} but only ${fileSize - pos} remain`);
    }
    const size = Number(size64);
    if (id === 0) fail(`invalid section id 0 at offset ${pos - 12}`);
    if (id <= CONTRIBUTIONS_SECTION) {
      if (sections.has(id)) fail(`duplicated section ${id}`);
      sections.set(id, { pos, size });
    }
    pos += size;
  }
  if (pos !== fileSize) fail(`${fileSize - pos} unexpected trailing bytes after the last section`);
  const section = (id: number, name: string): SectionLoc => {
    const s = sections.get(id);
    if (s === undefined) return fail(`missing section ${id} (${name})`);
    return s;
  };

  // Section 1: header.
  const hs = section(HEADER_SECTION, "header");
  if (hs.size < 4) fail(`header section is ${hs.size} bytes, expected ${HEADER_BODY_SIZE}`);
  const n8Buf = new Uint8Array(4);
  await readExactly(fh, n8Buf, hs.pos, path);
  const n8 = new DataView(n8Buf.buffer).getUint32(0, true);
  if (n8 !== N8) fail(`unsupported curve: field elements of ${n8} bytes (only BN254, with ${N8}-byte elements, is supported)`);
  if (hs.size !== HEADER_BODY_SIZE) fail(`header section is ${hs.size} bytes, expected ${HEADER_BODY_SIZE}`);
  const hb = new Uint8Array(HEADER_BODY_SIZE);
  await readExactly(fh, hb, hs.pos, path);
  const q = leToBigInt(hb.subarray(4, 4 + N8));
  if (q !== BN254_Q) fail(`unsupported curve: base field prime q = ${q} is not BN254's`);
  const hDv = new DataView(hb.buffer);
  const header: PtauHeader = { power: hDv.getUint32(4 + N8, true), ceremonyPower: hDv.getUint32(8 + N8, true) };
  try {
    checkPowers(header, "header");
  } catch (e) {
    fail((e as Error).message);
  }

  // Sections 2–6: sizes must match the power.
  const lengths = sectionLengths(header.power);
  const pointSections = {} as Record<SectionName, SectionLoc>;
  for (const name of SECTIONS) {
    const s = section(SECTION_ID[name], name);
    const expected = lengths[name] * pointBytes(name);
    if (s.size !== expected) {
      fail(`section ${SECTION_ID[name]} (${name}) is ${s.size} bytes, expected ${expected} (${lengths[name]} points) for power ${header.power}`);
    }
    pointSections[name] = s;
  }

  // Section 7: contributions.
  const cs = section(CONTRIBUTIONS_SECTION, "contributions");
  if (cs.size > MAX_CONTRIBUTIONS_SECTION) fail(`contributions section is ${cs.size} bytes, more than the ${MAX_CONTRIBUTIONS_SECTION} accepted`);
  const body = new Uint8Array(cs.size);
  await readExactly(fh, body, cs.pos, path);
  let records: ContributionRecord[] = [];
  try {
    records = decodeContributions(body);
  } catch (e) {
    fail((e as Error).message);
  }

  let closed = false;
  return {
    header,
    records,
    async readPoints(name: SectionName, start: number, count: number): Promise<Uint8Array> {
      if (closed) throw new Error(`${path}: reader is closed`);
      const s = pointSections[name];
      if (s === undefined) throw new Error(`${path}: unknown section ${String(name)}`);
      const len = lengths[name];
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > len) {
        throw new RangeError(`${path}: points [${start}, ${start}+${count}) out of range of ${name} (${len} points)`);
      }
      const size = pointBytes(name);
      const out = new Uint8Array(count * size);
      await readExactly(fh, out, s.pos + start * size, path);
      return out;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Writer

async function writeAll(fh: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write failed at offset ${position + done}`);
    done += bytesWritten;
  }
  return position + buf.length;
}

function sectionHeader(id: number, size: number): Uint8Array {
  const b = new Uint8Array(12);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, id, true);
  dv.setBigUint64(4, BigInt(size), true);
  return b;
}

/**
 * Writes a complete .ptau with sections 1–7, laid out as snarkjs writes it. `points(section, start, count)` is
 * called in section order with consecutive ranges of at most `batch` points (default 65536), one call at a time,
 * so memory stays bounded; each call must return exactly `count` points of LEM bytes. The file is written to
 * `path + ".tmp"`, fsynced, then renamed to `path`; on failure the temporary file is removed.
 */
export async function writePtau(
  path: string,
  header: PtauHeader,
  records: ContributionRecord[],
  points: (section: SectionName, start: number, count: number) => Promise<Uint8Array>,
  options?: { batch?: number },
): Promise<void> {
  checkPowers(header, "writePtau");
  const batch = options?.batch ?? DEFAULT_BATCH;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`writePtau: batch must be a positive integer, got ${batch}`);
  const contributions = encodeContributions(records);
  const lengths = sectionLengths(header.power);

  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  let ok = false;
  try {
    const pre = new Uint8Array(12);
    const preDv = new DataView(pre.buffer);
    for (let i = 0; i < 4; i++) pre[i] = PTAU_MAGIC.charCodeAt(i);
    preDv.setUint32(4, PTAU_VERSION, true);
    preDv.setUint32(8, 7, true);
    let pos = await writeAll(fh, pre, 0);

    const hb = new Uint8Array(12 + HEADER_BODY_SIZE);
    hb.set(sectionHeader(HEADER_SECTION, HEADER_BODY_SIZE), 0);
    const hDv = new DataView(hb.buffer);
    hDv.setUint32(12, N8, true);
    hb.set(qBytesLE(), 16);
    hDv.setUint32(16 + N8, header.power, true);
    hDv.setUint32(20 + N8, header.ceremonyPower, true);
    pos = await writeAll(fh, hb, pos);

    for (const name of SECTIONS) {
      const n = lengths[name];
      const size = pointBytes(name);
      pos = await writeAll(fh, sectionHeader(SECTION_ID[name], n * size), pos);
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        const buf = await points(name, start, count);
        if (!(buf instanceof Uint8Array) || buf.length !== count * size) {
          throw new Error(
            `writePtau: points(${name}, ${start}, ${count}) returned ${buf instanceof Uint8Array ? buf.length : typeof buf} bytes, expected ${count * size}`,
          );
        }
        pos = await writeAll(fh, buf, pos);
      }
    }

    pos = await writeAll(fh, sectionHeader(CONTRIBUTIONS_SECTION, contributions.length), pos);
    pos = await writeAll(fh, contributions, pos);
    await fh.sync();
    ok = true;
  } finally {
    await fh.close().catch(() => undefined);
    if (!ok) await unlink(tmp).catch(() => undefined);
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** Makes a rename durable. Best effort: some platforms cannot open or fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  let dh: FileHandle;
  try {
    dh = await open(dir, "r");
  } catch {
    return;
  }
  try {
    await dh.sync();
  } catch {
    // EINVAL/EISDIR/EPERM on platforms without directory fsync.
  } finally {
    await dh.close().catch(() => undefined);
  }
}
