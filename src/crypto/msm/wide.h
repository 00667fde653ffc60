/*
 * Scalar arithmetic for the per-point multiplications of mul.h, portable to wasm32 and 64-bit targets: 256-bit
 * integers as four 64-bit limbs, Montgomery multiplication modulo the group order r (the key's powers
 * first·inc^i), the endomorphism decompositions (GLV on G1, GLS on G2) and width-5 NAF digits.
 *
 * Decompositions (constants from the curve, derived as in scripts/derive-bn254-constants.ts):
 *  - G1: φ(x, y) = (β·x, y) is [λ] on G1. k = k1 + k2·λ (mod r) with |k1|, |k2| < 2^128 by Babai rounding on the
 *    reduced lattice basis v1 = (a1, b1), v2 = (a2, b2) of {(u, v): u + v·λ ≡ 0}: c1 = ⌊k·b2/r⌋, c2 = ⌊k·|b1|/r⌋
 *    (b1 < 0) from precomputed ⌊2^256·b/r⌋, k1 = k − c1·a1 − c2·a2, k2 = c1·|b1| − c2·b2.
 *  - G2: ψ (the untwist-Frobenius-twist endomorphism) is [μ] on G2 with μ = q − r = 6x² < 2^127, so
 *    k = k1 + k2·μ with k2 = ⌊k/μ⌋ < 2^128 and k1 = k mod μ. Only points of the prime-order subgroup satisfy
 *    ψ = [μ]; for others the product is unspecified (contributions apply keys to verified points only).
 */
#ifndef MSM_WIDE_H
#define MSM_WIDE_H

typedef struct { u64 v[4]; } u256;

/* a·b as (hi, lo) */
INLINE u64 mul64(u64 a, u64 b, u64* hi) {
#if defined(__SIZEOF_INT128__) && !defined(__wasm__)
  const unsigned __int128 p = (unsigned __int128)a * b;
  *hi = (u64)(p >> 64);
  return (u64)p;
#else
  /* wasm32 has no 64×64→128 multiplication (and no compiler runtime here): four 32-bit products */
  const u64 al = (u32)a, ah = a >> 32, bl = (u32)b, bh = b >> 32;
  const u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const u64 mid = (ll >> 32) + (u32)lh + (u32)hl;
  *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  return (mid << 32) | (u32)ll;
#endif
}

/* a + b + *c, with the carry out in *c (0 or 1; *c may be 0, 1 or 2 on entry) */
INLINE u64 adc(u64 a, u64 b, u64* c) {
  const u64 s = a + b;
  const u64 c1 = s < a;
  const u64 t = s + *c;
  *c = c1 + (t < s);
  return t;
}

/* a − b − *br, with the borrow out in *br */
INLINE u64 sbb(u64 a, u64 b, u64* br) {
  const u64 d = a - b;
  const u64 b1 = a < b;
  const u64 t = d - *br;
  *br = b1 + (d < *br);
  return t;
}

INLINE int u256_is_neg(const u256* a) { return (int)(a->v[3] >> 63); }
INLINE int u256_is_zero(const u256* a) { return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0; }

/* r = a − b mod 2^256 */
INLINE void u256_sub(u256* r, const u256* a, const u256* b) {
  u64 br = 0;
  for (int i = 0; i < 4; i++) r->v[i] = sbb(a->v[i], b->v[i], &br);
}
INLINE void u256_neg(u256* r, const u256* a) {
  const u256 z = {{0, 0, 0, 0}};
  u256_sub(r, &z, a);
}

/* t[0..n) += a[0..n)·b; the carry out of t[n − 1] */
INLINE u64 mac_row(u64* t, const u64* a, int n, u64 b) {
  u64 c = 0;
  for (int j = 0; j < n; j++) {
    u64 hi, c1 = 0, c2 = 0;
    const u64 lo = mul64(a[j], b, &hi);
    t[j] = adc(t[j], lo, &c1);
    t[j] = adc(t[j], c, &c2);
    c = hi + c1 + c2;
  }
  return c;
}

/* r = a·b mod 2^256 for a of an limbs and b of bn limbs */
static void u256_mul(u256* r, const u64* a, int an, const u64* b, int bn) {
  u64 t[8] = {0};
  for (int i = 0; i < an; i++) {
    const int n = bn < 4 - i ? bn : 4 - i; /* limbs past 2^256 are dropped */
    const u64 c = mac_row(t + i, b, n, a[i]);
    if (i + n < 4) t[i + n] += c;
  }
  for (int i = 0; i < 4; i++) r->v[i] = t[i];
}

/* ⌊a·g / 2^256⌋ for a < 2^256 and g of three limbs: the top limbs of the 7-limb product, the low two kept */
static void u256_mul_shift(u64 out[2], const u256* a, const u64 g[3]) {
  u64 t[7] = {0};
  for (int i = 0; i < 4; i++) t[i + 3] = mac_row(t + i, g, 3, a->v[i]);
  out[0] = t[4];
  out[1] = t[5];
}

/* the base field's modulus q, for canonical-coordinate checks on raw bytes */
static const u64 FQ64[4] = {0x3c208c16d87cfd47ull, 0x97816a916871ca8dull, 0xb85045b68181585dull, 0x30644e72e131a029ull};

/* ---- the scalar field: r and Montgomery constants (R = 2^256) ---- */

static const u64 FR_R[4] = {0x43e1f593f0000001ull, 0x2833e84879b97091ull, 0xb85045b68181585dull, 0x30644e72e131a029ull};
#define FR_INV 0xc2e1f593efffffffull /* -r^-1 mod 2^64 */
static const u64 FR_R2[4] = {0x1bb8e645ae216da7ull, 0x53fe3ab1e35c59e3ull, 0x8c49833d53bb8085ull, 0x0216d0b17f4e44a5ull};

/* a·b/2^256 mod r for a < 2^256 and b < r (CIOS: the result before the last subtraction is below b + r < 2r) */
static void fr_mul(u256* out, const u256* a, const u64* b) {
  u64 t[6] = {0};
  for (int i = 0; i < 4; i++) {
    u64 c = 0;
    t[4] = adc(t[4], mac_row(t, a->v, 4, b[i]), &c);
    t[5] = c;
    c = 0;
    t[4] = adc(t[4], mac_row(t, FR_R, 4, t[0] * FR_INV), &c); /* t[0] becomes 0 */
    t[5] += c;
    for (int j = 0; j < 5; j++) t[j] = t[j + 1];
    t[5] = 0;
  }
  /* t < 2r < 2^255 (t[4] = 0): subtract r once if t >= r */
  u64 br = 0, d[4];
  for (int j = 0; j < 4; j++) d[j] = sbb(t[j], FR_R[j], &br);
  for (int j = 0; j < 4; j++) out->v[j] = br ? t[j] : d[j];
}

/* s ← s·x^e mod r, with s in normal form and x in Montgomery form (x·2^256 mod r): square and multiply */
static void fr_times_pow(u256* s, const u256* x, u32 e) {
  if (!e) return;
  const u64 one[4] = {1, 0, 0, 0};
  u256 acc, r2;
  __builtin_memcpy(&r2, FR_R2, 32);
  fr_mul(&acc, &r2, one); /* 2^256 mod r: one in Montgomery form */
  for (int b = 31; b >= 0; b--) {
    fr_mul(&acc, &acc, acc.v);
    if ((e >> b) & 1) fr_mul(&acc, &acc, x->v);
  }
  fr_mul(s, s, acc.v);
}

/* ---- decompositions ---- */

static const u64 GLV_G1C[3] = {0xd91d232ec7e0b3d7ull, 0x2ull, 0}; /* ⌊2^256·b2/r⌋ */
static const u64 GLV_G2C[3] = {0x7a7bd9d4391eb18dull, 0x4ccef014a773d2cfull, 0x2ull}; /* ⌊2^256·|b1|/r⌋ */
static const u64 GLV_A1[1] = {0x89d3256894d213e3ull};
static const u64 GLV_A2[2] = {0x0be4e1541221250bull, 0x6f4d8248eeb859fdull};
static const u64 GLV_B1[2] = {0x8211bbeb7d4f1128ull, 0x6f4d8248eeb859fcull}; /* |b1| */
static const u64 GLV_B2[1] = {0x89d3256894d213e3ull};
static const u64 GLS_MU[2] = {0xf83e9682e87cfd46ull, 0x6f4d8248eeb859fbull}; /* 6x² = q − r */
static const u64 GLS_GMU[3] = {0x2cb62031c8e01941ull, 0x4ccef014a773d2d5ull, 0x2ull}; /* ⌊2^256/μ⌋ */

/* a half-size scalar: magnitude (below 2^129) and sign */
struct half {
  u64 lo, hi, top;
  u32 neg;
};

static void half_of(struct half* h, const u256* x) {
  u256 m;
  h->neg = (u32)u256_is_neg(x);
  if (h->neg) u256_neg(&m, x);
  else m = *x;
  h->lo = m.v[0];
  h->hi = m.v[1];
  h->top = m.v[2]; /* 0 for every k < r (|k1|, |k2| < 2^128); kept so that nothing is lost */
}

/* k = k1 + k2·λ (mod r), G1 */
static void glv_split(struct half out[2], const u256* k) {
  u64 c1[2], c2[2];
  u256_mul_shift(c1, k, GLV_G1C);
  u256_mul_shift(c2, k, GLV_G2C);
  u256 t, k1, k2;
  u256_mul(&t, c1, 2, GLV_A1, 1);
  u256_sub(&k1, k, &t);
  u256_mul(&t, c2, 2, GLV_A2, 2);
  u256_sub(&k1, &k1, &t);
  u256 p;
  u256_mul(&p, c1, 2, GLV_B1, 2);
  u256_mul(&t, c2, 2, GLV_B2, 1);
  u256_sub(&k2, &p, &t);
  half_of(&out[0], &k1);
  half_of(&out[1], &k2);
}

/* k = k1 + k2·μ, G2: k2 = ⌊k/μ⌋ (the estimate from ⌊2^256/μ⌋ is at most a few short), k1 = k − k2·μ */
static void gls_split(struct half out[2], const u256* k) {
  u64 c[2];
  u256_mul_shift(c, k, GLS_GMU);
  u256 t, k1;
  u256_mul(&t, c, 2, GLS_MU, 2);
  u256_sub(&k1, k, &t);
  const u256 mu = {{GLS_MU[0], GLS_MU[1], 0, 0}};
  for (;;) {
    u256 d;
    u256_sub(&d, &k1, &mu);
    if (u256_is_neg(&d)) break;
    k1 = d;
    c[0] += 1;
    c[1] += c[0] == 0;
  }
  const u256 k2 = {{c[0], c[1], 0, 0}};
  half_of(&out[0], &k1);
  half_of(&out[1], &k2);
}

/* Width-5 NAF digits of h's magnitude, least significant first (odd digits in [−15, 15] or 0); the count. */
#define NAF_MAX 132
static u32 wnaf5(const struct half* h, i8* out) {
  u64 x0 = h->lo, x1 = h->hi, x2 = h->top;
  u32 n = 0;
  while ((x0 | x1 | x2) && n < NAF_MAX) {
    i32 d = 0;
    if (x0 & 1) {
      d = (i32)(x0 & 31);
      if (d >= 16) d -= 32;
      /* x −= d: never crosses zero, since x ≡ d (mod 32) and |d| < 32 */
      if (d > 0) {
        const u64 s = x0 - (u64)d;
        const u64 b = s > x0;
        x0 = s;
        const u64 s1 = x1 - b;
        x2 -= (b && s1 == ~0ull);
        x1 = s1;
      } else {
        const u64 s = x0 + (u64)(-d);
        const u64 c = s < x0;
        x0 = s;
        x1 += c;
        x2 += (c && x1 == 0);
      }
    }
    out[n++] = (i8)d;
    x0 = (x0 >> 1) | (x1 << 63);
    x1 = (x1 >> 1) | (x2 << 63);
    x2 >>= 1;
  }
  return n;
}

#endif
