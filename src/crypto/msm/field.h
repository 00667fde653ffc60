/*
 * BN254 base field Fp for wasm32 (Fp2 on top of it: fp2.h).
 *
 * An element is nine 29-bit limbs (little-endian, one per u32) in Montgomery form with R = 2^261. Products of two
 * limbs fit in 58 bits, so a Montgomery multiplication accumulates whole columns in u64 without propagating
 * carries (measured faster in V8 and JavaScriptCore than eight 32-bit limbs with carries; SIMD and Karatsuba
 * variants were slower or no faster). Values are kept lazily reduced: multiplications take inputs below 8q and
 * return less than 1.1q; add/sub/dbl keep [0, 2q); the *_nr forms skip the reduction where the next step is a
 * multiplication; reduce2 brings anything below 2^261 into [0, 2q) without comparisons; canon gives [0, q) for
 * comparisons and output. The .ptau encoding (R = 2^256, eight 32-bit words) is converted on load and store with
 * one Montgomery multiplication by a constant.
 */
#ifndef MSM_FIELD_H
#define MSM_FIELD_H

#include "types.h"

#define NL 9
#define LB 29
#define MASK 0x1fffffffu
/* for code off the hot path: smaller wasm */
#define COLD static __attribute__((noinline, minsize))
/* the top limb of x marks an affine point at infinity: canonical values never have it */
#define INF_MARK 0xffffffffu

typedef struct { u32 v[NL]; } fp;

/* q = 21888242871839275222246405745257275088696311157297823662689037894645226208583 */
static const fp FP_Q = {{0x187cfd47, 0x10460b6, 0x1c72a34f, 0x2d522d0, 0x1585d978, 0x2db40c0, 0xa6e141, 0xe5c2634, 0x30644e}};
static const fp FP_Q2 = {{0x10f9fa8e, 0x208c16d, 0x18e5469e, 0x5aa45a1, 0xb0bb2f0, 0x5b68181, 0x14dc282, 0x1cb84c68, 0x60c89c}};
static const fp FP_ZERO = {{0}};
static const fp FP_Q4 = {{0x1f3f51c, 0x41182db, 0x11ca8d3c, 0xb548b43, 0x161765e0, 0xb6d0302, 0x29b8504, 0x197098d0, 0xc19139}};

#define QINV 0x4866389u /* -q^-1 mod 2^29 */
/* Montgomery one: 2^261 mod q */
#define FP_ONE_INIT {{0x157ccc21, 0x141c2758, 0x185230d3, 0x14c0419, 0xaa36fb9, 0x1d4240ce, 0x11d54c07, 0x52ac7a8, 0xdc836}}
static const fp FP_ONE = FP_ONE_INIT;
/* 2^256 mod q: mont(x, C_OUT) turns x = a·2^261 into a·2^256 */
static const fp FP_C_OUT = {{0x58f0d9d, 0x1aea1c6e, 0x11c2cf74, 0x11d651eb, 0x1462c0a7, 0x11b7bc3c, 0x1cbd99ba, 0x183340fb, 0xe0a77}};

#define Q0 0x187cfd47ull
#define Q1 0x10460b6ull
#define Q2 0x1c72a34full
#define Q3 0x2d522d0ull
#define Q4 0x1585d978ull
#define Q5 0x2db40c0ull
#define Q6 0xa6e141ull
#define Q7 0xe5c2634ull
#define Q8 0x30644eull

/* r = a·b/R mod q. Inputs < 8q with 29-bit limbs (the top limb may be larger); output < 2q (in fact < 1.1q). */
NOINLINE void fp_mul(fp* r, const fp* a, const fp* b) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
  const u64 b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3], b4 = b->v[4], b5 = b->v[5], b6 = b->v[6],
            b7 = b->v[7], b8 = b->v[8];
  /* operand scanning; a column never holds more than 18 products of 58 bits, so carries wait until the end */
#define MUL_STEP(i)                                 \
  {                                                 \
    const u64 ai = a->v[i];                         \
    u64 x = t0 + ai * b0;                           \
    const u64 m = ((u32)x * QINV) & MASK;           \
    x += m * Q0;                                    \
    t0 = t1 + ai * b1 + m * Q1 + (x >> LB);         \
    t1 = t2 + ai * b2 + m * Q2;                     \
    t2 = t3 + ai * b3 + m * Q3;                     \
    t3 = t4 + ai * b4 + m * Q4;                     \
    t4 = t5 + ai * b5 + m * Q5;                     \
    t5 = t6 + ai * b6 + m * Q6;                     \
    t6 = t7 + ai * b7 + m * Q7;                     \
    t7 = ai * b8 + m * Q8;                          \
  }
  MUL_STEP(0) MUL_STEP(1) MUL_STEP(2) MUL_STEP(3) MUL_STEP(4) MUL_STEP(5) MUL_STEP(6) MUL_STEP(7) MUL_STEP(8)
#undef MUL_STEP
  u64 c = t0;
  r->v[0] = (u32)c & MASK; c = (c >> LB) + t1;
  r->v[1] = (u32)c & MASK; c = (c >> LB) + t2;
  r->v[2] = (u32)c & MASK; c = (c >> LB) + t3;
  r->v[3] = (u32)c & MASK; c = (c >> LB) + t4;
  r->v[4] = (u32)c & MASK; c = (c >> LB) + t5;
  r->v[5] = (u32)c & MASK; c = (c >> LB) + t6;
  r->v[6] = (u32)c & MASK; c = (c >> LB) + t7;
  r->v[7] = (u32)c & MASK; c = (c >> LB);
  r->v[8] = (u32)c;
}

static const u64 QL[NL] = {Q0, Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8};

/* r = a²/R mod q, as fp_mul: the 45 distinct limb products, then a separate Montgomery reduction */
NOINLINE void fp_sqr(fp* r, const fp* a) {
  u64 A[NL];
  i64 T[2 * NL];
#pragma clang loop unroll(full)
  for (int i = 0; i < NL; i++) A[i] = a->v[i];
#pragma clang loop unroll(full)
  for (int k = 0; k < 2 * NL; k++) T[k] = 0;
#pragma clang loop unroll(full)
  for (int i = 0; i < NL; i++) {
    T[2 * i] += (i64)(A[i] * A[i]);
    const u64 d = 2 * A[i];
#pragma clang loop unroll(full)
    for (int j = i + 1; j < NL; j++) T[i + j] += (i64)(d * A[j]);
  }
#pragma clang loop unroll(full)
  for (int i = 0; i < NL; i++) {
    const u64 m = ((u32)T[i] * QINV) & MASK;
#pragma clang loop unroll(full)
    for (int j = 0; j < NL; j++) T[i + j] += (i64)(m * QL[j]);
    T[i + 1] += T[i] >> LB;
  }
  i64 c = 0;
#pragma clang loop unroll(full)
  for (int j = 0; j < NL - 1; j++) {
    c += T[NL + j];
    r->v[j] = (u32)c & MASK;
    c >>= LB;
  }
  r->v[NL - 1] = (u32)c;
}

INLINE void fp_copy(fp* r, const fp* a) { COPY(r, a); }

/* r = a + b with normalised limbs, no reduction (for multiplication inputs: a, b < 2q gives < 4q). */
INLINE void fp_add_nr(fp* r, const fp* a, const fp* b) {
  u32 c = 0;
  for (int j = 0; j < NL; j++) {
    const u32 x = a->v[j] + b->v[j] + c;
    r->v[j] = x & MASK;
    c = x >> LB;
  }
}

/* Selects s when the borrow of s − m is negative, else s − m. s, m limb-normalised. */
INLINE void sub_if_ge(fp* r, const fp* s, const fp* m) {
  u32 t[NL];
  i32 br = 0;
  for (int j = 0; j < NL; j++) {
    const i32 x = (i32)s->v[j] - (i32)m->v[j] + br;
    t[j] = (u32)x & MASK;
    br = x >> LB;
  }
  const u32 keep = (u32)br; /* all ones when s < m */
  for (int j = 0; j < NL; j++) r->v[j] = (s->v[j] & keep) | (t[j] & ~keep);
}

/* [0, 2q) + [0, 2q) -> [0, 2q) */
INLINE void fp_add(fp* r, const fp* a, const fp* b) {
  fp s;
  fp_add_nr(&s, a, b);
  sub_if_ge(r, &s, &FP_Q2);
}

/* [0, 2q) − [0, 2q) -> [0, 2q) */
INLINE void fp_sub(fp* r, const fp* a, const fp* b) {
  u32 t[NL];
  i32 br = 0;
  for (int j = 0; j < NL; j++) {
    const i32 x = (i32)a->v[j] - (i32)b->v[j] + br;
    t[j] = (u32)x & MASK;
    br = x >> LB;
  }
  const u32 neg = (u32)br; /* all ones when a < b: add 2q */
  u32 c = 0;
  for (int j = 0; j < NL; j++) {
    const u32 x = t[j] + (FP_Q2.v[j] & neg) + c;
    r->v[j] = x & MASK;
    c = x >> LB;
  }
}

INLINE void fp_dbl(fp* r, const fp* a) { fp_add(r, a, a); }

/* r = a + k − b, one carry pass: k a multiple of q (limb-normalised) with a + k − b >= 0. No reduction. */
INLINE void fp_add_sub_nr(fp* r, const fp* a, const fp* k, const fp* b) {
  i32 c = 0;
  for (int j = 0; j < NL; j++) {
    const i32 x = (i32)a->v[j] + (i32)k->v[j] - (i32)b->v[j] + c;
    r->v[j] = (u32)x & MASK;
    c = x >> LB;
  }
}

/* r = a + k − b − d, one carry pass, as above */
INLINE void fp_add_sub2_nr(fp* r, const fp* a, const fp* k, const fp* b, const fp* d) {
  i32 c = 0;
  for (int j = 0; j < NL; j++) {
    const i32 x = (i32)a->v[j] + (i32)k->v[j] - (i32)b->v[j] - (i32)d->v[j] + c;
    r->v[j] = (u32)x & MASK;
    c = x >> LB;
  }
}

/* [0, 2q) -> [0, q) */
INLINE void fp_canon(fp* r, const fp* a) { sub_if_ge(r, a, &FP_Q); }

/*
 * [0, 2^261) -> [0, 2q) without comparisons: subtracts k·q for k = floor(top limb / (top limb of q + 1)), which
 * never exceeds the value and leaves less than q + (k + 1)·2^232 < 2q.
 */
INLINE void fp_reduce2(fp* r, const fp* a) {
  const i64 k = (i64)(a->v[NL - 1] / ((u32)Q8 + 1));
  i64 c = 0;
  for (int j = 0; j < NL; j++) {
    const i64 x = (i64)a->v[j] - k * (i64)FP_Q.v[j] + c;
    r->v[j] = (u32)x & MASK;
    c = x >> LB;
  }
}

/* [0, 4q) -> [0, q) */
INLINE void fp_canon4(fp* r, const fp* a) {
  fp t;
  sub_if_ge(&t, a, &FP_Q2);
  sub_if_ge(r, &t, &FP_Q);
}

INLINE int fp_eq(const fp* a, const fp* b) { /* both canonical */
  u32 d = 0;
  for (int j = 0; j < NL; j++) d |= a->v[j] ^ b->v[j];
  return d == 0;
}

INLINE int fp_is_zero(const fp* a) { /* any value in [0, 2q) */
  fp c;
  fp_canon(&c, a);
  u32 d = 0;
  for (int j = 0; j < NL; j++) d |= c.v[j];
  return d == 0;
}

/* canonical a -> canonical q − a (0 stays 0) */
INLINE void fp_neg(fp* r, const fp* a) {
  u32 nz = 0;
  for (int j = 0; j < NL; j++) nz |= a->v[j];
  fp t;
  fp_sub(&t, &FP_Q, a);
  const u32 keep = nz ? 0xffffffffu : 0;
  for (int j = 0; j < NL; j++) r->v[j] = t.v[j] & keep;
}

/* .ptau coordinate (32 bytes little-endian, Montgomery R = 2^256) -> canonical internal form */
INLINE void fp_from_lem(fp* r, const u8* p) {
  /* v = a·2^256 (any value below 2^256) -> a·2^261 = 32·v: read v five bits up, exactly 261 bits, and reduce */
  fp t;
  u64 acc = 0;
  int bits = 5, j = 0;
  for (int i = 0; i < 32; i++) {
    acc |= (u64)p[i] << bits;
    bits += 8;
    if (bits >= LB) {
      t.v[j++] = (u32)acc & MASK;
      acc >>= LB;
      bits -= LB;
    }
  }
  fp_reduce2(&t, &t);
  fp_canon(r, &t);
}

/* the 32 little-endian bytes of t's limbs (t canonical) */
INLINE void fp_pack(u8* p, const fp* t) {
  u64 acc = 0;
  int bits = 0, j = 0;
  for (int i = 0; i < 32; i++) {
    while (bits < 8) {
      acc |= (u64)t->v[j++] << bits;
      bits += LB;
    }
    p[i] = (u8)acc;
    acc >>= 8;
    bits -= 8;
  }
}

INLINE void fp_to_lem(u8* p, const fp* a) {
  fp t;
  fp_mul(&t, a, &FP_C_OUT);
  fp_canon(&t, &t);
  fp_pack(p, &t);
}

/* the element's value (not its Montgomery form) as 32 little-endian bytes: a·R times 1, over R */
INLINE void fp_to_le_value(u8* p, const fp* a) {
  static const fp RAW_ONE = {{1}};
  fp t;
  fp_mul(&t, a, &RAW_ONE);
  fp_canon(&t, &t);
  fp_pack(p, &t);
}

#endif
