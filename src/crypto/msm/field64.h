/*
 * BN254 base field Fp for native 64-bit targets (x86-64, aarch64), with the same operations as field.h so that
 * fp2.h, group.h and mul.h serve both builds.
 *
 * An element is four 64-bit limbs (little-endian) in Montgomery form with R = 2^256: exactly the .ptau encoding,
 * so loading and storing a coordinate is a copy. Every value is kept fully reduced in [0, q): q < 2^254 leaves
 * the top limb's two high bits free, which lets the Montgomery product skip the carry out of the top limb
 * (q[3] < 2^63 − 1) and return < 2q before one conditional subtraction. Because values are always reduced, the
 * lazy forms of field.h (*_nr, reduce2, canon) are exact operations or copies here: group.h's bounds hold trivially.
 */
#ifndef MSM_FIELD64_H
#define MSM_FIELD64_H

#include "types.h"

typedef unsigned __int128 u128;

#define NL 4
#define COLD static __attribute__((noinline))
/* the top limb of x marks an affine point at infinity: canonical values are below q, far from all ones */
#define INF_MARK 0xffffffffffffffffull

typedef struct { u64 v[NL]; } fp;

#define Q0 0x3c208c16d87cfd47ull
#define Q1 0x97816a916871ca8dull
#define Q2 0xb85045b68181585dull
#define Q3 0x30644e72e131a029ull
#define QINV 0x87d20782e4866389ull /* -q^-1 mod 2^64 */

#define FP_ONE_INIT {{0xd35d438dc58f0d9dull, 0x0a78eb28f5c70b3dull, 0x666ea36f7879462cull, 0x0e0a77c19a07df2full}}
static const fp FP_Q = {{Q0, Q1, Q2, Q3}};
static const fp FP_ZERO = {{0}};
static const fp FP_ONE = FP_ONE_INIT; /* 2^256 mod q */
/* field.h's multiples of q for its lazy subtractions; here the subtractions reduce, so they are not needed */
#define FP_Q2 FP_ZERO
#define FP_Q4 FP_ZERO

/* r = s − q when s >= q, else s (s < 2^256) */
INLINE void fp_sub_q_if_ge(fp* r, u64 s0, u64 s1, u64 s2, u64 s3) {
  u128 d;
  u64 t0, t1, t2, t3, br;
  d = (u128)s0 - Q0;
  t0 = (u64)d;
  br = (u64)(d >> 64) & 1;
  d = (u128)s1 - Q1 - br;
  t1 = (u64)d;
  br = (u64)(d >> 64) & 1;
  d = (u128)s2 - Q2 - br;
  t2 = (u64)d;
  br = (u64)(d >> 64) & 1;
  d = (u128)s3 - Q3 - br;
  t3 = (u64)d;
  br = (u64)(d >> 64) & 1;
  const u64 keep = 0 - br; /* all ones when s < q */
  r->v[0] = (s0 & keep) | (t0 & ~keep);
  r->v[1] = (s1 & keep) | (t1 & ~keep);
  r->v[2] = (s2 & keep) | (t2 & ~keep);
  r->v[3] = (s3 & keep) | (t3 & ~keep);
}

/* r = a·b/R mod q for a, b < q: CIOS Montgomery multiplication without the top carry (see the header). */
INLINE void fp_mul_c(fp* r, const fp* a, const fp* b) {
  const u64 a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
#define MUL_ROUND(bi)                                   \
  {                                                     \
    u128 x = (u128)a0 * (bi) + t0;                      \
    u64 A = (u64)(x >> 64);                             \
    t0 = (u64)x;                                        \
    const u64 m = t0 * QINV;                            \
    x = (u128)m * Q0 + t0;                              \
    u64 C = (u64)(x >> 64);                             \
    x = (u128)a1 * (bi) + t1 + A;                       \
    A = (u64)(x >> 64);                                 \
    t1 = (u64)x;                                        \
    x = (u128)m * Q1 + t1 + C;                          \
    C = (u64)(x >> 64);                                 \
    t0 = (u64)x;                                        \
    x = (u128)a2 * (bi) + t2 + A;                       \
    A = (u64)(x >> 64);                                 \
    t2 = (u64)x;                                        \
    x = (u128)m * Q2 + t2 + C;                          \
    C = (u64)(x >> 64);                                 \
    t1 = (u64)x;                                        \
    x = (u128)a3 * (bi) + t3 + A;                       \
    A = (u64)(x >> 64);                                 \
    t3 = (u64)x;                                        \
    x = (u128)m * Q3 + t3 + C;                          \
    C = (u64)(x >> 64);                                 \
    t2 = (u64)x;                                        \
    t3 = C + A;                                         \
  }
  MUL_ROUND(b->v[0]) MUL_ROUND(b->v[1]) MUL_ROUND(b->v[2]) MUL_ROUND(b->v[3])
#undef MUL_ROUND
  fp_sub_q_if_ge(r, t0, t1, t2, t3);
}

#if defined(__x86_64__)
static const u64 FP_MUL_CONSTS[5] = {Q0, Q1, Q2, Q3, QINV};

/*
 * The same CIOS product with BMI2/ADX (mulx, and adcx/adox running two carry chains at once), about twice as fast
 * as the portable form; used when the processor has both (nearly every x86-64 since 2015), chosen at run time.
 */
static void fp_mul_adx(fp* r, const fp* a, const fp* b) {
  u64 t0, t1, t2, t3, A, tmp;
#define ADX_REDUCE                         \
  "movq 32(%[k]), %%rdx\n\t"               \
  "imulq %[t0], %%rdx\n\t"                 \
  "xorl %%eax, %%eax\n\t"                  \
  "mulxq 0(%[k]), %%rax, %[tmp]\n\t"       \
  "adcxq %[t0], %%rax\n\t"                 \
  "movq %[tmp], %[t0]\n\t"                 \
  "adcxq %[t1], %[t0]\n\t"                 \
  "mulxq 8(%[k]), %%rax, %[t1]\n\t"        \
  "adoxq %%rax, %[t0]\n\t"                 \
  "adcxq %[t2], %[t1]\n\t"                 \
  "mulxq 16(%[k]), %%rax, %[t2]\n\t"       \
  "adoxq %%rax, %[t1]\n\t"                 \
  "adcxq %[t3], %[t2]\n\t"                 \
  "mulxq 24(%[k]), %%rax, %[t3]\n\t"       \
  "adoxq %%rax, %[t2]\n\t"                 \
  "movl $0, %%eax\n\t"                     \
  "adcxq %%rax, %[t3]\n\t"                 \
  "adoxq %[A], %[t3]\n\t"
#define ADX_ROUND(off)                     \
  "xorl %%eax, %%eax\n\t"                  \
  "movq " off "(%[b]), %%rdx\n\t"          \
  "mulxq 0(%[a]), %%rax, %[A]\n\t"         \
  "adoxq %%rax, %[t0]\n\t"                 \
  "adcxq %[A], %[t1]\n\t"                  \
  "mulxq 8(%[a]), %%rax, %[A]\n\t"         \
  "adoxq %%rax, %[t1]\n\t"                 \
  "adcxq %[A], %[t2]\n\t"                  \
  "mulxq 16(%[a]), %%rax, %[A]\n\t"        \
  "adoxq %%rax, %[t2]\n\t"                 \
  "adcxq %[A], %[t3]\n\t"                  \
  "mulxq 24(%[a]), %%rax, %[A]\n\t"        \
  "adoxq %%rax, %[t3]\n\t"                 \
  "movl $0, %%eax\n\t"                     \
  "adcxq %%rax, %[A]\n\t"                  \
  "adoxq %%rax, %[A]\n\t"
  __asm__(
      "xorl %%eax, %%eax\n\t"
      "movq 0(%[b]), %%rdx\n\t"
      "mulxq 0(%[a]), %[t0], %[t1]\n\t"
      "mulxq 8(%[a]), %%rax, %[t2]\n\t"
      "adoxq %%rax, %[t1]\n\t"
      "mulxq 16(%[a]), %%rax, %[t3]\n\t"
      "adoxq %%rax, %[t2]\n\t"
      "mulxq 24(%[a]), %%rax, %[A]\n\t"
      "adoxq %%rax, %[t3]\n\t"
      "movl $0, %%eax\n\t"
      "adoxq %%rax, %[A]\n\t"
      ADX_REDUCE
      ADX_ROUND("8")
      ADX_REDUCE
      ADX_ROUND("16")
      ADX_REDUCE
      ADX_ROUND("24")
      ADX_REDUCE
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [A] "=&r"(A), [tmp] "=&r"(tmp)
      : [a] "r"(a->v), [b] "r"(b->v), [k] "r"(FP_MUL_CONSTS), "m"(*a), "m"(*b), "m"(FP_MUL_CONSTS)
      : "rax", "rdx", "cc");
#undef ADX_REDUCE
#undef ADX_ROUND
  fp_sub_q_if_ge(r, t0, t1, t2, t3);
}

/* 1: BMI2 and ADX (cpuid leaf 7: ebx bits 8 and 19), 0: not; read once, then cached (every thread finds the same) */
static int fp_adx_flag = -1;
static int fp_has_adx(void) {
  int f = __atomic_load_n(&fp_adx_flag, __ATOMIC_RELAXED);
  if (f < 0) {
    u32 a = 7, b, c = 0, d;
    __asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    u32 max = 0, b0, c0 = 0, d0;
    __asm__("cpuid" : "+a"(max), "=b"(b0), "+c"(c0), "=d"(d0));
    f = max >= 7 && (b >> 8 & 1) && (b >> 19 & 1);
    __atomic_store_n(&fp_adx_flag, f, __ATOMIC_RELAXED);
  }
  return f;
}

NOINLINE void fp_mul(fp* r, const fp* a, const fp* b) {
  if (fp_has_adx()) fp_mul_adx(r, a, b);
  else fp_mul_c(r, a, b);
}
#else
NOINLINE void fp_mul(fp* r, const fp* a, const fp* b) { fp_mul_c(r, a, b); }
#endif

NOINLINE void fp_sqr(fp* r, const fp* a) { fp_mul(r, a, a); }

INLINE void fp_copy(fp* r, const fp* a) { COPY(r, a); }

/* [0, q) + [0, q) -> [0, q) (the sum stays below 2^255: no carry out) */
INLINE void fp_add(fp* r, const fp* a, const fp* b) {
  u128 s = (u128)a->v[0] + b->v[0];
  const u64 s0 = (u64)s;
  s = (u128)a->v[1] + b->v[1] + (u64)(s >> 64);
  const u64 s1 = (u64)s;
  s = (u128)a->v[2] + b->v[2] + (u64)(s >> 64);
  const u64 s2 = (u64)s;
  const u64 s3 = a->v[3] + b->v[3] + (u64)(s >> 64);
  fp_sub_q_if_ge(r, s0, s1, s2, s3);
}

/* [0, q) − [0, q) -> [0, q) */
INLINE void fp_sub(fp* r, const fp* a, const fp* b) {
  u128 d = (u128)a->v[0] - b->v[0];
  const u64 d0 = (u64)d;
  d = (u128)a->v[1] - b->v[1] - ((u64)(d >> 64) & 1);
  const u64 d1 = (u64)d;
  d = (u128)a->v[2] - b->v[2] - ((u64)(d >> 64) & 1);
  const u64 d2 = (u64)d;
  d = (u128)a->v[3] - b->v[3] - ((u64)(d >> 64) & 1);
  const u64 d3 = (u64)d;
  const u64 m = 0 - ((u64)(d >> 64) & 1); /* all ones when a < b: add q */
  u128 s = (u128)d0 + (Q0 & m);
  r->v[0] = (u64)s;
  s = (u128)d1 + (Q1 & m) + (u64)(s >> 64);
  r->v[1] = (u64)s;
  s = (u128)d2 + (Q2 & m) + (u64)(s >> 64);
  r->v[2] = (u64)s;
  r->v[3] = d3 + (Q3 & m) + (u64)(s >> 64);
}

INLINE void fp_dbl(fp* r, const fp* a) { fp_add(r, a, a); }
INLINE void fp_add_nr(fp* r, const fp* a, const fp* b) { fp_add(r, a, b); }
/* field.h's a + k − b (k a multiple of q): here simply a − b */
INLINE void fp_add_sub_nr(fp* r, const fp* a, const fp* k, const fp* b) {
  (void)k;
  fp_sub(r, a, b);
}
INLINE void fp_add_sub2_nr(fp* r, const fp* a, const fp* k, const fp* b, const fp* d) {
  (void)k;
  fp_sub(r, a, b);
  fp_sub(r, r, d);
}
INLINE void fp_canon(fp* r, const fp* a) { COPY(r, a); }
INLINE void fp_canon4(fp* r, const fp* a) { COPY(r, a); }
INLINE void fp_reduce2(fp* r, const fp* a) { COPY(r, a); }

INLINE int fp_eq(const fp* a, const fp* b) {
  return ((a->v[0] ^ b->v[0]) | (a->v[1] ^ b->v[1]) | (a->v[2] ^ b->v[2]) | (a->v[3] ^ b->v[3])) == 0;
}
INLINE int fp_is_zero(const fp* a) { return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0; }

/* q − a (0 stays 0) */
INLINE void fp_neg(fp* r, const fp* a) {
  const u64 nz = 0 - (u64)!fp_is_zero(a);
  fp t;
  fp_sub(&t, &FP_Q, a);
  for (int j = 0; j < NL; j++) r->v[j] = t.v[j] & nz;
}

/* .ptau coordinate (32 bytes little-endian, Montgomery R = 2^256): the limbs themselves, reduced once */
INLINE void fp_from_lem(fp* r, const u8* p) {
  fp t;
  __builtin_memcpy(&t, p, 32);
  fp_sub_q_if_ge(r, t.v[0], t.v[1], t.v[2], t.v[3]);
}

INLINE void fp_to_lem(u8* p, const fp* a) { __builtin_memcpy(p, a, 32); }

/* the element's value (not its Montgomery form) as 32 little-endian bytes: a·R times 1, over R */
INLINE void fp_to_le_value(u8* p, const fp* a) {
  static const fp RAW_ONE = {{1, 0, 0, 0}};
  fp t;
  fp_mul(&t, a, &RAW_ONE);
  __builtin_memcpy(p, &t, 32);
}

#endif
