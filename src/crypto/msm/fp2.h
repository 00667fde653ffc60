/*
 * What is built the same way on either base field (field.h for wasm32, field64.h for native 64-bit targets), from
 * the Fp operations both provide: Fp inversion, and the quadratic extension Fp2 = Fp[u]/(u^2 + 1).
 */
#ifndef MSM_FP2_H
#define MSM_FP2_H

/* a^(q−2) = a^-1 (0 -> 0): fixed 4-bit windows over the exponent's nibbles, most significant first */
NOINLINE void fp_inv(fp* r, const fp* a) {
  static const u8 E[32] = {0x45, 0xfd, 0x7c, 0xd8, 0x16, 0x8c, 0x20, 0x3c, 0x8d, 0xca, 0x71, 0x68, 0x91, 0x6a, 0x81, 0x97,
                           0x5d, 0x58, 0x81, 0x81, 0xb6, 0x45, 0x50, 0xb8, 0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30};
  fp tbl[16];
  COPY(&tbl[0], &FP_ONE);
  COPY(&tbl[1], a);
  for (int i = 2; i < 16; i++) fp_mul(&tbl[i], &tbl[i - 1], a);
  fp acc;
  COPY(&acc, &FP_ONE);
  for (int k = 63; k >= 0; k--) {
    fp_sqr(&acc, &acc);
    fp_sqr(&acc, &acc);
    fp_sqr(&acc, &acc);
    fp_sqr(&acc, &acc);
    const u32 nib = (E[k >> 1] >> (4 * (k & 1))) & 15;
    if (nib) fp_mul(&acc, &acc, &tbl[nib]);
  }
  COPY(r, &acc);
}

typedef struct { fp c0, c1; } fp2;

NOINLINE void fp2_mul(fp2* r, const fp2* a, const fp2* b) {
  fp t0, t1, t2, sa, sb;
  fp_mul(&t0, &a->c0, &b->c0);
  fp_mul(&t1, &a->c1, &b->c1);
  fp_add_nr(&sa, &a->c0, &a->c1);
  fp_add_nr(&sb, &b->c0, &b->c1);
  fp_mul(&t2, &sa, &sb);
  fp_sub(&r->c0, &t0, &t1);
  fp_sub(&t2, &t2, &t0);
  fp_sub(&r->c1, &t2, &t1);
}

NOINLINE void fp2_sqr(fp2* r, const fp2* a) {
  fp s, d, m;
  fp_add_nr(&s, &a->c0, &a->c1);
  fp_sub(&d, &a->c0, &a->c1);
  fp_mul(&m, &a->c0, &a->c1);
  fp_mul(&r->c0, &s, &d);
  fp_dbl(&r->c1, &m);
}

NOINLINE void fp2_add(fp2* r, const fp2* a, const fp2* b) {
  fp_add(&r->c0, &a->c0, &b->c0);
  fp_add(&r->c1, &a->c1, &b->c1);
}
NOINLINE void fp2_sub(fp2* r, const fp2* a, const fp2* b) {
  fp_sub(&r->c0, &a->c0, &b->c0);
  fp_sub(&r->c1, &a->c1, &b->c1);
}
NOINLINE void fp2_dbl(fp2* r, const fp2* a) { fp2_add(r, a, a); }
INLINE void fp2_canon(fp2* r, const fp2* a) {
  fp_canon(&r->c0, &a->c0);
  fp_canon(&r->c1, &a->c1);
}
/* lazy forms of the batch-affine addition's linear steps (see fp_add_sub_nr) */
INLINE void fp2_add_sub_nr(fp2* r, const fp2* a, const fp* k, const fp2* b) {
  fp_add_sub_nr(&r->c0, &a->c0, k, &b->c0);
  fp_add_sub_nr(&r->c1, &a->c1, k, &b->c1);
}
INLINE void fp2_add_sub2_nr(fp2* r, const fp2* a, const fp* k, const fp2* b, const fp2* d) {
  fp_add_sub2_nr(&r->c0, &a->c0, k, &b->c0, &d->c0);
  fp_add_sub2_nr(&r->c1, &a->c1, k, &b->c1, &d->c1);
}
INLINE void fp2_canon4(fp2* r, const fp2* a) {
  fp_canon4(&r->c0, &a->c0);
  fp_canon4(&r->c1, &a->c1);
}
INLINE void fp2_reduce2(fp2* r, const fp2* a) {
  fp_reduce2(&r->c0, &a->c0);
  fp_reduce2(&r->c1, &a->c1);
}
INLINE int fp2_eq(const fp2* a, const fp2* b) { return fp_eq(&a->c0, &b->c0) & fp_eq(&a->c1, &b->c1); }
INLINE int fp2_is_zero(const fp2* a) { return fp_is_zero(&a->c0) & fp_is_zero(&a->c1); }
INLINE void fp2_neg(fp2* r, const fp2* a) {
  fp_neg(&r->c0, &a->c0);
  fp_neg(&r->c1, &a->c1);
}
/* a0^2 + a1^2: the norm, nonzero for a != 0 (−1 is not a square mod q) */
INLINE void fp2_norm(fp* r, const fp2* a) {
  fp t0, t1;
  fp_sqr(&t0, &a->c0);
  fp_sqr(&t1, &a->c1);
  fp_add(r, &t0, &t1);
}
/* r = a^-1 given ninv = N(a)^-1: conj(a)·ninv */
INLINE void fp2_inv_with(fp2* r, const fp2* a, const fp* ninv) {
  fp t;
  fp_mul(&r->c0, &a->c0, ninv);
  fp_mul(&t, &a->c1, ninv);
  fp_sub(&r->c1, &FP_ZERO, &t);
}
NOINLINE void fp2_inv(fp2* r, const fp2* a) {
  fp n, ni;
  fp2_norm(&n, a);
  fp_inv(&ni, &n);
  fp2_inv_with(r, a, &ni);
}
INLINE void fp2_from_lem(fp2* r, const u8* p) {
  fp_from_lem(&r->c0, p);
  fp_from_lem(&r->c1, p + 32);
}
/* big-endian value bytes, as snarkjs hashes points (ffjavascript's toRprUncompressed): Fp2 as c1 then c0 */
INLINE void fp_to_be(u8* p, const fp* a) {
  u8 le[32];
  fp_to_le_value(le, a);
  for (int i = 0; i < 32; i++) p[i] = le[31 - i];
}
INLINE void fp2_to_be(u8* p, const fp2* a) {
  fp_to_be(p, &a->c1);
  fp_to_be(p + 32, &a->c0);
}
INLINE void fp2_to_lem(u8* p, const fp2* a) {
  fp_to_lem(p, &a->c0);
  fp_to_lem(p + 32, &a->c1);
}

#endif
