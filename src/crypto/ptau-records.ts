/** Section 7 of a .ptau file, the contribution records, encoded and decoded exactly as snarkjs 0.7.x does. */
import { G1_SIZE, G2_SIZE, HASH_SIZE, PUBKEY_SIZE } from "./sizes.ts";

export const PARTIAL_HASH_SIZE = 216;
/** Fixed part of a record: five points, key, partial hash, next challenge, u32 type, u32 params length. */
const RECORD_FIXED_SIZE = 3 * G1_SIZE + 2 * G2_SIZE + PUBKEY_SIZE + PARTIAL_HASH_SIZE + HASH_SIZE + 4 + 4;

const PARAM_NAME = 1;
const PARAM_NUM_ITERATIONS_EXP = 2;
const PARAM_BEACON_HASH = 3;

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
