// Minimal declarations for the parts of ffjavascript this project uses.
declare module "ffjavascript" {
  /** Field element or point in ffjavascript's internal (Montgomery) representation. */
  export type Elem = Uint8Array;

  export interface Field {
    n8: number;
    one: Elem;
    zero: Elem;
    e(v: bigint | number | string): Elem;
    mul(a: Elem, b: Elem): Elem;
    add(a: Elem, b: Elem): Elem;
    exp(a: Elem, e: bigint | number): Elem;
    eq(a: Elem, b: Elem): boolean;
    isZero(a: Elem): boolean;
    neg(a: Elem): Elem;
    inv(a: Elem): Elem;
    toRprLE(buff: Uint8Array, pos: number, a: Elem): void;
    fromRprLE(buff: Uint8Array, pos?: number): Elem;
    toObject(a: Elem): bigint;
    fromRng(rng: ChaCha): Elem;
  }

  export interface Group {
    F: Field;
    g: Elem;
    zero: Elem;
    eq(a: Elem, b: Elem): boolean;
    isZero(a: Elem): boolean;
    neg(a: Elem): Elem;
    add(a: Elem, b: Elem): Elem;
    toAffine(a: Elem): Elem;
    timesFr(a: Elem, s: Elem): Elem;
    timesScalar(a: Elem, s: bigint | number): Elem;
    fromRng(rng: ChaCha): Elem;
    toRprLEM(buff: Uint8Array, pos: number, a: Elem): void;
    fromRprLEM(buff: Uint8Array, pos?: number): Elem;
    toRprUncompressed(buff: Uint8Array, pos: number, a: Elem): void;
    fromRprUncompressed(buff: Uint8Array, pos?: number): Elem;
    batchLEMtoU(buff: Uint8Array): Promise<Uint8Array>;
    batchApplyKey(buff: Uint8Array, first: Elem, inc: Elem): Promise<Uint8Array>;
    multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Elem>;
  }

  export interface Curve {
    name: string;
    q: bigint;
    r: bigint;
    Fr: Field;
    F1: Field;
    F2: Field;
    G1: Group;
    G2: Group;
    pairingEq(...args: Elem[]): Promise<boolean>;
    terminate(): Promise<void>;
  }

  export function buildBn128(singleThread?: boolean): Promise<Curve>;

  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
    nextU64(): number;
  }
}
