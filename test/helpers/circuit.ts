// A tiny circuit (out = a·b) written as .r1cs and .wtns files by hand, so snarkjs can run a Groth16 setup,
// proof and verification on our .ptau without circom.
import { writeFile } from "node:fs/promises";

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const N8 = 32;

function le(v: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = v;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
const u32 = (v: number): Uint8Array => le(BigInt(v), 4);
const u64 = (v: number): Uint8Array => le(BigInt(v), 8);

function binFile(magic: string, version: number, sections: Array<[number, Uint8Array[]]>): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode(magic), u32(version), u32(sections.length)];
  for (const [id, body] of sections) {
    const size = body.reduce((n, b) => n + b.length, 0);
    parts.push(u32(id), u64(size), ...body);
  }
  return Buffer.concat(parts);
}

/** Wires: 0 = one, 1 = out (public output), 2 = a, 3 = b (private inputs); one constraint a·b = out. */
export async function writeMultiplierCircuit(r1csPath: string, wtnsPath: string, a: bigint, b: bigint): Promise<void> {
  const term = (wire: number): Uint8Array[] => [u32(1), u32(wire), le(1n, N8)];
  const r1cs = binFile("r1cs", 1, [
    [1, [u32(N8), le(R, N8), u32(4), u32(1), u32(0), u32(2), u64(4), u32(1)]],
    [2, [...term(2), ...term(3), ...term(1)]],
    [3, [u64(0), u64(1), u64(2), u64(3)]],
  ]);
  const witness = [1n, (a * b) % R, a, b];
  const wtns = binFile("wtns", 2, [
    [1, [u32(N8), le(R, N8), u32(witness.length)]],
    [2, witness.map((w) => le(w, N8))],
  ]);
  await writeFile(r1csPath, r1cs);
  await writeFile(wtnsPath, wtns);
}
