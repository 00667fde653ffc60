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
import { G1_SIZE, G2_SIZE, N8 } from "./sizes.ts";
import { MAX_POWER, SECTIONS, SECTION_GROUP, sectionLengths, type SectionName } from "./params.ts";
import { decodeContributions, encodeContributions, type ContributionRecord } from "./ptau-records.ts";

export { decodeContributions, encodeContributions, PARTIAL_HASH_SIZE, type ContributionRecord } from "./ptau-records.ts";

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
/** The contributions section is read into memory; a real one is a few KiB per contributor. */
const MAX_CONTRIBUTIONS_SECTION = 64 * 1024 * 1024;
const DEFAULT_BATCH = 65536;


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
