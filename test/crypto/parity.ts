// Holds one build of the C curve engine (native or wasm) to ffjavascript and mcl on random inputs and edge cases:
// every answer must be bit-identical. Returns the list of mismatches (empty when the engine agrees everywhere).
// Used by engine-parity.test.ts for the wasm build under vitest, and by native-parity.ts for the native build
// under Bun (vitest runs on Node, which cannot load it).
import { ChaCha, type Curve, type Elem } from "ffjavascript";
import type { CurveEngine, Group } from "../../src/crypto/msm/engine-types.ts";
import { modPow } from "../../src/crypto/scalars.ts";
import { checkPoints as mclCheckPoints, g2InSubgroup as mclG2InSubgroup, pairingProductIsOne, scalarToLE } from "../../src/crypto/mcl.ts";
import { concat } from "./bytes.ts";

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const SIZE: Record<Group, number> = { G1: 64, G2: 128 };
/** BN254's G2 cofactor h = 2q − r; 10069 is its smallest prime. */
const G2_COFACTOR = 2n * Q - R;

interface F2Ext {
  fromRng(rng: ChaCha): Elem;
  isSquare(a: Elem): boolean;
  sqrt(a: Elem): Elem;
  square(a: Elem): Elem;
  mul(a: Elem, b: Elem): Elem;
  add(a: Elem, b: Elem): Elem;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** A point of the twist E'(Fp2) from rng, its cofactor not cleared (outside G2 but for a 1/h chance), .ptau encoding. */
export function twistPoint(curve: Curve, rng: ChaCha): Uint8Array {
  const F2 = curve.F2 as unknown as F2Ext;
  const b = (curve.G2 as unknown as { b: Elem }).b;
  for (;;) {
    const x = F2.fromRng(rng);
    const rhs = F2.add(F2.mul(F2.square(x), x), b);
    if (F2.isSquare(rhs)) return concat([x, F2.sqrt(rhs)]); // affine, Montgomery little-endian: the .ptau encoding
  }
}

export class Parity {
  readonly failures: string[] = [];
  private readonly rng = new ChaCha([7, 1, 2, 3, 4, 5, 6, 7]);

  constructor(
    private readonly subject: CurveEngine,
    private readonly curve: Curve,
  ) {}

  private same(what: string, ours: Uint8Array | string | boolean, theirs: Uint8Array | string | boolean): void {
    const a = ours instanceof Uint8Array ? hex(ours) : String(ours);
    const b = theirs instanceof Uint8Array ? hex(theirs) : String(theirs);
    if (a !== b) this.failures.push(`${this.subject.kind}: ${what}: ${a.slice(0, 32)}… ≠ ${b.slice(0, 32)}…`);
  }

  private scalar(): bigint {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(this.rng.nextU32());
    return v;
  }

  private encode(g: Group, p: Elem): Uint8Array {
    const out = new Uint8Array(SIZE[g]);
    this.curve[g].toRprLEM(out, 0, this.curve[g].toAffine(p));
    return out;
  }

  /** n points of the prime-order group: k·inc^i·G. */
  async points(g: Group, n: number): Promise<Uint8Array> {
    const gen = this.encode(g, this.curve[g].g);
    return this.curve[g].batchApplyKey(concat(Array.from({ length: n }, () => gen)), this.curve.Fr.e(this.scalar() % R), this.curve.Fr.e(this.scalar() % R));
  }

  /** A point of the twist outside the prime-order subgroup (random x, cofactor not cleared). */
  twistPoint(): Uint8Array {
    return twistPoint(this.curve, this.rng);
  }

  /** A twist point of order exactly 10069, the hardest stray component. */
  smallOrderPoint(): Uint8Array {
    for (;;) {
      const t = this.curve.G2.timesScalar(this.curve.G2.fromRprLEM(this.twistPoint(), 0), (R * G2_COFACTOR) / 10069n);
      if (!this.curve.G2.isZero(t)) return this.encode("G2", t);
    }
  }

  async applyKey(): Promise<void> {
    for (const g of ["G1", "G2"] as const) {
      for (const n of [1, 2, 63, 64, 65, 130]) {
        const pts = await this.points(g, n);
        if (n > 2) pts.fill(0, SIZE[g], 2 * SIZE[g]); // an infinity among them
        const cases: Array<[bigint, bigint]> = [[this.scalar() % R, this.scalar() % R]];
        if (n === 65) cases.push([0n, 1n], [1n, 0n], [1n, 1n], [2n, 3n], [R - 1n, R - 1n], [R - 1n, 2n], [1n, R - 1n]);
        for (const [first, inc] of cases) {
          const theirs = await this.curve[g].batchApplyKey(pts, this.curve.Fr.e(first), this.curve.Fr.e(inc));
          this.same(`applyKey ${g} n=${n} first=${first} inc=${inc}`, this.subject.applyKey(g, pts, scalarToLE(first), scalarToLE(inc)), theirs);
        }
      }
      // an offset starts the powers further on: first·inc^(offset + i)
      const some = await this.points(g, 40);
      const [f, i] = [this.scalar() % R, this.scalar() % R];
      for (const offset of [1, 7, 4096, 0xfffffff]) {
        const theirs = await this.curve[g].batchApplyKey(some, this.curve.Fr.e((f * modPow(i, BigInt(offset), R)) % R), this.curve.Fr.e(i));
        this.same(`applyKey ${g} offset ${offset}`, this.subject.applyKey(g, some, scalarToLE(f), scalarToLE(i), offset), theirs);
      }
      // scalars at or above r are taken modulo r
      const pts = await this.points(g, 5);
      const reduced = this.subject.applyKey(g, pts, scalarToLE(5n), scalarToLE(7n));
      this.same(`applyKey ${g} with first + r, inc + r`, this.subject.applyKey(g, pts, scalarToLE(5n + R), scalarToLE(7n + R)), reduced);
    }
  }

  async checkPoints(): Promise<void> {
    for (const g of ["G1", "G2"] as const) {
      const pts = await this.points(g, 100);
      const verdict = (p: Uint8Array): string => JSON.stringify(this.subject.checkPoints(g, p));
      this.same(`checkPoints ${g} valid`, verdict(pts), JSON.stringify(mclCheckPoints(g, pts)));
      const offCurve = pts.slice();
      offCurve[10 * SIZE[g] + 40] = (offCurve[10 * SIZE[g] + 40] ?? 0) ^ 1;
      const atInfinity = offCurve.slice().fill(0, 70 * SIZE[g], 71 * SIZE[g]);
      const nonCanonical = offCurve.slice();
      nonCanonical.set(scalarToLE(Q), 50 * SIZE[g]); // x = q
      const bigX = offCurve.slice().fill(0xff, 60 * SIZE[g], 60 * SIZE[g] + 32);
      for (const [what, p, want] of [
        ["off the curve", offCurve, { ok: false, fault: "POINT_NOT_ON_CURVE", index: 10 }],
        ["infinity after an off-curve point", atInfinity, { ok: false, fault: "POINT_AT_INFINITY", index: 70 }],
        ["x = q", nonCanonical, { ok: false, fault: "POINT_NOT_CANONICAL", index: 50 }],
        ["x = 2^256 − 1", bigX, { ok: false, fault: "POINT_NOT_CANONICAL", index: 60 }],
      ] as const) {
        this.same(`checkPoints ${g} ${what}`, verdict(p), JSON.stringify(want));
        this.same(`checkPoints ${g} ${what} (mcl)`, verdict(p), JSON.stringify(mclCheckPoints(g, p)));
      }
    }
    const twist = concat([await this.points("G2", 3), this.twistPoint()]);
    this.same("checkPoints G2 twist point (on the curve)", JSON.stringify(this.subject.checkPoints("G2", twist)), JSON.stringify({ ok: true }));
  }

  async subgroup(): Promise<void> {
    const inG2 = await this.points("G2", 4);
    for (let i = 0; i < 4; i++) {
      const p = inG2.subarray(i * 128, (i + 1) * 128);
      this.same(`g2InSubgroup member ${i}`, this.subject.g2InSubgroup(p), true);
    }
    for (let i = 0; i < 40; i++) {
      const t = this.twistPoint();
      this.same(`g2InSubgroup twist ${i}`, this.subject.g2InSubgroup(t), mclG2InSubgroup(t));
      this.same(`g2InSubgroup twist ${i} is outside`, this.subject.g2InSubgroup(t), false);
    }
    const small = this.smallOrderPoint();
    this.same("g2InSubgroup order 10069", this.subject.g2InSubgroup(small), false);
    for (let i = 0; i < 4; i++) {
      const mixed = this.encode("G2", this.curve.G2.add(this.curve.G2.fromRprLEM(inG2.subarray(i * 128, (i + 1) * 128), 0), this.curve.G2.fromRprLEM(small, 0)));
      this.same(`g2InSubgroup member ${i} + order 10069`, this.subject.g2InSubgroup(mixed), false);
      this.same(`g2InSubgroup member ${i} + order 10069 (mcl)`, this.subject.g2InSubgroup(mixed), mclG2InSubgroup(mixed));
    }
    // a point of each other prime order of the cofactor, alone and added to a member
    for (const l of [5864401n, 1875725156269n, G2_COFACTOR / (10069n * 5864401n * 1875725156269n)]) {
      const p = this.curve.G2.timesScalar(this.curve.G2.fromRprLEM(this.twistPoint(), 0), (R * G2_COFACTOR) / l);
      const alone = this.encode("G2", p);
      const sum = this.encode("G2", this.curve.G2.add(this.curve.G2.fromRprLEM(inG2.subarray(0, 128), 0), p));
      this.same(`g2InSubgroup order ${l}`, this.subject.g2InSubgroup(alone), this.curve.G2.isZero(p));
      this.same(`g2InSubgroup member + order ${l}`, this.subject.g2InSubgroup(sum), this.curve.G2.isZero(p));
    }
  }

  async msm(): Promise<void> {
    for (const g of ["G1", "G2"] as const) {
      const base = await this.points(g, 300);
      const p0 = base.subarray(0, SIZE[g]);
      const minus = this.encode(g, this.curve[g].neg(this.curve[g].fromRprLEM(p0, 0)));
      const zero = new Uint8Array(SIZE[g]);
      const inputs: Array<[string, Uint8Array]> = [
        ["random", base],
        ["duplicates, negations, infinities", concat(Array.from({ length: 200 }, (_, i) => [p0, minus, zero, base.subarray(i * SIZE[g], (i + 1) * SIZE[g])][i % 4] as Uint8Array))],
        ["one point", p0],
      ];
      if (g === "G2") inputs.push(["twist points", concat(Array.from({ length: 50 }, () => this.twistPoint()))]);
      for (const [what, pts] of inputs) {
        const n = pts.length / SIZE[g];
        for (const sb of [1, 2, 8, 32]) {
          const scalars = new Uint8Array(n * sb);
          for (let i = 0; i < scalars.length; i++) scalars[i] = this.rng.nextU32() & 0xff;
          if (what === "random") scalars.fill(0, 0, sb); // a zero scalar
          const theirs = this.encode(g, await this.curve[g].multiExpAffine(pts, scalars));
          this.same(`msm ${g} ${what} ${sb}-byte scalars`, this.subject.msm(g, pts, scalars, sb), theirs);
        }
      }
    }
  }

  /** Pairing products that are 1 and products that are not, against mcl's verdicts. */
  async pairing(check: (g1: Uint8Array, g2: Uint8Array, n: number) => boolean): Promise<void> {
    const g1 = await this.points("G1", 24);
    const g2 = await this.points("G2", 24);
    const at = (pts: Uint8Array, i: number): Uint8Array => {
      const size = pts === g1 ? 64 : 128;
      return pts.subarray(i * size, (i + 1) * size);
    };
    const neg = (g: Group, p: Uint8Array): Uint8Array => this.encode(g, this.curve[g].neg(this.curve[g].fromRprLEM(p, 0)));
    const zero1 = new Uint8Array(64);
    const cases: Array<Array<[Uint8Array, Uint8Array]>> = [
      [[at(g1, 0), at(g2, 0)], [neg("G1", at(g1, 0)), at(g2, 0)]],
      [[at(g1, 0), at(g2, 0)], [at(g1, 0), neg("G2", at(g2, 0))], [at(g1, 1), at(g2, 1)]],
      [[at(g1, 0), at(g2, 0)]],
      [[zero1, at(g2, 3)]],
      [[zero1, at(g2, 3)], [at(g1, 4), at(g2, 4)], [neg("G1", at(g1, 4)), at(g2, 4)]],
      Array.from({ length: 8 }, (_, i) => [at(g1, i), at(g2, i)] as [Uint8Array, Uint8Array]).flatMap((pq) => [pq, [neg("G1", pq[0]), pq[1]] as [Uint8Array, Uint8Array]]),
      Array.from({ length: 16 }, (_, i) => [at(g1, i), at(g2, i + 8)] as [Uint8Array, Uint8Array]),
    ];
    // e(aP, bQ)·e(−abP, Q) = 1 for points of the group, and its perturbations
    const a = BigInt(this.rng.nextU32()) * 977n + 3n;
    const b = BigInt(this.rng.nextU32()) * 613n + 5n;
    const P = this.curve.G1.g;
    const Qg = this.curve.G2.g;
    const mul1 = (k: bigint): Uint8Array => this.encode("G1", this.curve.G1.timesScalar(P, k));
    const mul2 = (k: bigint): Uint8Array => this.encode("G2", this.curve.G2.timesScalar(Qg, k));
    cases.push([[mul1(a), mul2(b)], [neg("G1", mul1(a * b)), mul2(1n)]], [[mul1(a), mul2(b)], [neg("G1", mul1(a * b + 1n)), mul2(1n)]]);
    for (const [i, pairs] of cases.entries()) {
      const p1 = concat(pairs.map(([p]) => p));
      const p2 = concat(pairs.map(([, q]) => q));
      this.same(`pairing product case ${i} (${pairs.length} pairs)`, check(p1, p2, pairs.length), pairingProductIsOne(pairs));
    }
  }

  async uncompressed(): Promise<void> {
    for (const g of ["G1", "G2"] as const) {
      const pts = await this.points(g, 70);
      pts.fill(0, 3 * SIZE[g], 4 * SIZE[g]);
      this.same(`toUncompressed ${g}`, this.subject.toUncompressed(g, pts), await this.curve[g].batchLEMtoU(pts));
    }
  }

  async all(): Promise<string[]> {
    await this.uncompressed();
    if (this.subject.pairingIsOne) await this.pairing(this.subject.pairingIsOne.bind(this.subject));
    await this.applyKey();
    await this.checkPoints();
    await this.subgroup();
    await this.msm();
    return this.failures;
  }
}
