/*
 * The optimal ate pairing of BN254, for checking that a product of pairings is 1 (the verifier's only use: the
 * value itself is never exposed, so any fixed power of the pairing coprime to r serves). Included by msm.c after the
 * G2 instantiation (it uses g2_aff, g2_load, fp2_*).
 *
 * Tower: Fp6 = Fp2[v]/(v³ − ξ), Fp12 = Fp6[w]/(w² − v), ξ = 9 + u. Miller loop over the NAF of 6x + 2 with the
 * twist point in homogeneous projective coordinates (doubling and mixed-addition steps with their lines,
 * Costello–Lange–Naehrig, eprint 2013/722 §4.3), lines being sparse Fp12 elements (c0, 0, 0, c3, c4, 0); then the
 * lines through π(Q) and −π²(Q). Final exponentiation: the easy part (p⁶ − 1)(p² + 1), then the hard part by
 * Fuentes-Castañeda et al.'s chain as in Duquesne–Ghammam (eprint 2015/192), which raises to a multiple
 * 2x(6x² + 3x + 1) of (p⁴ − p² + 1)/r, coprime to r. The same structure as gnark-crypto's bn254 pairing; the
 * constants are derived by scripts/derive-bn254-constants.ts. Held to mcl's pairing by the tests.
 */

/* ξ^(k(p^j − 1)/6) for j = 1, 2, 3 (rows) and k = 1..5 (columns), .ptau form */
static const u64 FROB[3][5][8] = {
    {{0xaf9ba69633144907ull, 0xca6b1d7387afb78aull, 0x11bded5ef08a2087ull, 0x02f34d751a1f3a7cull, 0xa222ae234c492d72ull, 0xd00f02a4565de15bull, 0xdc2ff3a253dfc926ull, 0x10a75716b3899551ull},
     {0xb5773b104563ab30ull, 0x347f91c8a9aa6454ull, 0x7a007127242e0991ull, 0x1956bcd8118214ecull, 0x6e849f1ea0aa4757ull, 0xaa1c7b6d89f89141ull, 0xb6e713cdfae0ca3aull, 0x26694fbb4e82ebc3ull},
     {0xe4bbdd0c2936b629ull, 0xbb30f162e133bacbull, 0x31a9d1b6f9645366ull, 0x253570bea500f8ddull, 0xa1d77ce45ffe77c7ull, 0x07affd117826d1dbull, 0x6d16bd27bb7edc6bull, 0x2c87200285defeccull},
     {0x7361d77f843abe92ull, 0xa5bb2bd3273411fbull, 0x9c941f314b3e2399ull, 0x15df9cddbb9fd3ecull, 0x5dddfd154bd8c949ull, 0x62cb29a5a4445b60ull, 0x37bc870a0c7dd2b9ull, 0x24830a9d3171f0fdull},
     {0xc970692f41690fe7ull, 0xe240342127694b0bull, 0x32bee66b83c459e8ull, 0x12aabced0ab08841ull, 0x0d485d2340aebfa9ull, 0x05193418ab2fcc57ull, 0xd3b0a40b8a4910f5ull, 0x2f21ebb535d2925aull}},
    {{0xca8d800500fa1bf2ull, 0xf0c5d61468b39769ull, 0x0e201271ad0d4418ull, 0x04290f65bad856e6ull, 0, 0, 0, 0},
     {0x3350c88e13e80b9cull, 0x7dce557cdb5e56b9ull, 0x6001b4b8b615564aull, 0x2682e617020217e0ull, 0, 0, 0, 0},
     {0x68c3488912edefaaull, 0x8d087f6872aabf4full, 0x51e1a24709081231ull, 0x2259d6b14729c0faull, 0, 0, 0, 0},
     {0x71930c11d782e155ull, 0xa6bb947cffbe3323ull, 0xaa303344d4741444ull, 0x2c3b3f0d26594943ull, 0, 0, 0, 0},
     {0x08cfc388c494f1abull, 0x19b315148d1373d4ull, 0x584e90fdcb6c0213ull, 0x09e1685bdf2f8849ull, 0, 0, 0, 0}},
    {{0x365316184e46d97dull, 0x0af7129ed4c96d9full, 0x659da72fca1009b5ull, 0x08116d8983a20d23ull, 0xb1df4af7c39c1939ull, 0x3d9f02878a73bf7full, 0x9b2220928caf0ae0ull, 0x26684515eff054a6ull},
     {0xc9af22f716ad6badull, 0xb311782a4aa662b2ull, 0x19eeaf64e248c7f4ull, 0x20273e77e3439f82ull, 0xacc02860f7ce93acull, 0x3933d5817ba76b4cull, 0x69e6188b446c8467ull, 0x0a46036d4417cc55ull},
     {0x5764af0aaf46471eull, 0xdc50792e873e0fc1ull, 0x86a673ff881d04f6ull, 0x0b2eddb43c30a74cull, 0x9a490f32787e8580ull, 0x8fd16d7ff04af8b1ull, 0x4b39888ec6027bf2ull, 0x03dd2e705b52a15dull},
     {0x448a93a57b6762dfull, 0xbfd62df528fdeadfull, 0xd858f5d00e9bd47aull, 0x06b03d4d3476ec58ull, 0x2b19daf4bcc936d1ull, 0xa1a54e7a56f4299full, 0xb533eee05adeaef1ull, 0x170c812b84dda0b2ull},
     {0xe0bc4b2275cf559full, 0xc238b945c154e60full, 0x803982a5929a7d5eull, 0x15ce052df7e4a37eull, 0x2d28efbdbf3799a7ull, 0x9b097e3c1ad60773ull, 0x982d4113af4a535bull, 0x24e18991e3056063ull}}};
static const u64 FP_INV2[4] = {0x87bee7d24f060572ull, 0xd0fd2add2f1c6ae5ull, 0x8f5f7492fcfd4f44ull, 0x1f37631a3d9cbfacull};
/* NAF of 6x + 2, least significant digit first */
static const i8 ATE_NAF[66] = {0, 0, 0, 1,  0, 1, 0, -1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, -1, 0, 0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0,
                               1, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, -1, 0, 0, -1, 0, 1, 0, -1, 0, 0, 0, -1, 0, -1, 0, 0, 0, 1, 0, -1, 0, 1};

/* the constants in this build's representation, loaded once per pairing check */
typedef struct {
  fp2 frob[3][5];
  fp2 b;    /* the twist's b' */
  fp inv2;  /* 1/2 */
} pairing_consts;

static void pairing_load(pairing_consts* k) {
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 5; i++) fp2_from_lem(&k->frob[j][i], (const u8*)FROB[j][i]);
  fp2_from_lem(&k->b, (const u8*)G2_B);
  fp_from_lem(&k->inv2, (const u8*)FP_INV2);
}

#include "tower.h"

/* a^(p^j) for j = 1, 2, 3: conjugate the coefficients when j is odd, multiply by the Frobenius constants */
static void fp12_frob(fp12* r, const fp12* a, int j, const pairing_consts* k) {
  fp2* out[6] = {&r->c0.b0, &r->c0.b1, &r->c0.b2, &r->c1.b0, &r->c1.b1, &r->c1.b2};
  const fp2* in[6] = {&a->c0.b0, &a->c0.b1, &a->c0.b2, &a->c1.b0, &a->c1.b1, &a->c1.b2};
  /* coefficient of v^i·w^e gets ξ^((2i + e)(p^j − 1)/6) */
  static const int POW[6] = {0, 2, 4, 1, 3, 5};
  for (int i = 0; i < 6; i++) {
    fp2 t;
    if (j & 1) fp2_conj(&t, in[i]);
    else COPY(&t, in[i]);
    if (POW[i]) fp2_mul(out[i], &t, &k->frob[j - 1][POW[i] - 1]);
    else COPY(out[i], &t);
  }
}
/* a^x, x the curve parameter, for a in the cyclotomic subgroup: square-and-multiply on x's NAF */
static void fp12_pow_x(fp12* r, const fp12* a) {
  static const i8 X_NAF[63] = {1, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, -1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0,
                               0, 0, 1, 0, -1, 0, -1, 0, -1, 0, 1, 0, 1, 0, 0, -1, 0, 1, 0, 1, 0, -1, 0, 0, 1, 0, 1, 0, 0, 0, 1};
  fp12 inv, acc;
  fp12_conj(&inv, a); /* the inverse, in the cyclotomic subgroup */
  fp12_one(&acc);
  int started = 0;
  for (int i = 62; i >= 0; i--) {
    if (started) fp12_cyclo_sqr(&acc, &acc);
    if (X_NAF[i]) {
      fp12_mul(&acc, &acc, X_NAF[i] > 0 ? a : &inv);
      started = 1;
    }
  }
  *r = acc;
}

/* m^((p¹² − 1)/r · s) with s = 2x(6x² + 3x + 1) (see the top) */
static void final_exp(fp12* r, const fp12* m, const pairing_consts* k) {
  fp12 f, t0, t1, t2, t3, t4;
  fp12_conj(&t0, m);
  fp12_inv(&f, m);
  fp12_mul(&t0, &t0, &f); /* m^(p⁶ − 1) */
  fp12_frob(&f, &t0, 2, k);
  fp12_mul(&f, &f, &t0); /* ·^(p² + 1) */
  fp12_pow_x(&t0, &f);
  fp12_conj(&t0, &t0);
  fp12_cyclo_sqr(&t0, &t0);
  fp12_cyclo_sqr(&t1, &t0);
  fp12_mul(&t1, &t0, &t1);
  fp12_pow_x(&t2, &t1);
  fp12_conj(&t2, &t2);
  fp12_conj(&t3, &t1);
  fp12_mul(&t1, &t2, &t3);
  fp12_cyclo_sqr(&t3, &t2);
  fp12_pow_x(&t4, &t3);
  fp12_mul(&t4, &t1, &t4);
  fp12_mul(&t3, &t0, &t4);
  fp12_mul(&t0, &t2, &t4);
  fp12_mul(&t0, &f, &t0);
  fp12_frob(&t2, &t3, 1, k);
  fp12_mul(&t0, &t2, &t0);
  fp12_frob(&t2, &t4, 2, k);
  fp12_mul(&t0, &t2, &t0);
  fp12_conj(&t2, &f);
  fp12_mul(&t2, &t2, &t3);
  fp12_frob(&t2, &t2, 3, k);
  fp12_mul(r, &t2, &t0);
}

/* ---- Miller loop ---- */

typedef struct { fp2 x, y, z; } g2_proj;
typedef struct { fp2 r0, r1, r2; } line;

/* T ← 2T; the tangent line (coefficients of yP, xP, 1) */
static void dbl_step(g2_proj* t, line* l, const pairing_consts* k) {
  fp2 A, B, C, D, E, F, G, H, I, J, EE, K, s;
  fp2_mul(&A, &t->x, &t->y);
  fp2_mul_fp(&A, &A, &k->inv2);
  fp2_sqr(&B, &t->y);
  fp2_sqr(&C, &t->z);
  fp2_dbl(&D, &C);
  fp2_add(&D, &D, &C);
  fp2_mul(&E, &D, &k->b);
  fp2_dbl(&F, &E);
  fp2_add(&F, &F, &E);
  fp2_add(&G, &B, &F);
  fp2_mul_fp(&G, &G, &k->inv2);
  fp2_add(&H, &t->y, &t->z);
  fp2_sqr(&H, &H);
  fp2_add(&s, &B, &C);
  fp2_sub(&H, &H, &s);
  fp2_sub(&I, &E, &B);
  fp2_sqr(&J, &t->x);
  fp2_sqr(&EE, &E);
  fp2_dbl(&K, &EE);
  fp2_add(&K, &K, &EE);
  fp2_sub(&s, &B, &F);
  fp2_mul(&t->x, &s, &A);
  fp2_sqr(&s, &G);
  fp2_sub(&t->y, &s, &K);
  fp2_mul(&t->z, &B, &H);
  fp2_neg(&l->r0, &H);
  fp2_dbl(&l->r1, &J);
  fp2_add(&l->r1, &l->r1, &J);
  COPY(&l->r2, &I);
}

/* the line through T and affine Q; with `update`, also T ← T + Q */
static void add_step(g2_proj* t, line* l, const g2_aff* q, int update) {
  fp2 O, L, s;
  fp2_mul(&s, &q->y, &t->z);
  fp2_sub(&O, &t->y, &s);
  fp2_mul(&s, &q->x, &t->z);
  fp2_sub(&L, &t->x, &s);
  if (update) {
    fp2 C, D, E, F, G, H, t1;
    fp2_sqr(&C, &O);
    fp2_sqr(&D, &L);
    fp2_mul(&E, &L, &D);
    fp2_mul(&F, &t->z, &C);
    fp2_mul(&G, &t->x, &D);
    fp2_add(&H, &E, &F);
    fp2_sub(&H, &H, &G);
    fp2_sub(&H, &H, &G);
    fp2_mul(&t1, &t->y, &E);
    fp2_mul(&t->x, &L, &H);
    fp2_sub(&s, &G, &H);
    fp2_mul(&s, &s, &O);
    fp2_sub(&t->y, &s, &t1);
    fp2_mul(&t->z, &E, &t->z);
  }
  fp2 J;
  fp2_mul(&J, &q->x, &O);
  fp2_mul(&s, &L, &q->y);
  fp2_sub(&J, &J, &s);
  COPY(&l->r0, &L);
  fp2_neg(&l->r1, &O);
  COPY(&l->r2, &J);
}

static void mul_line(fp12* f, line* l, const g1_aff* p) {
  fp2_mul_fp(&l->r0, &l->r0, &p->y);
  fp2_mul_fp(&l->r1, &l->r1, &p->x);
  fp12_mul_034(f, f, &l->r0, &l->r1, &l->r2);
}

/*
 * Whether Π e(P_i, Q_i) = 1 for n pairs, G1 points at `g1` (64 bytes each) and G2 points at `g2` (128 bytes each),
 * .ptau encodings; pairs with a point at infinity count as 1. Up to PAIRING_MAX pairs. Points must be on their
 * curves and the G2 points in the subgroup (the verifier checks both first); otherwise the answer is unspecified.
 */
#define PAIRING_MAX 16
static u32 pairing_is_one(const u8* g1, const u8* g2, u32 n) {
  if (n > PAIRING_MAX) return 0;
  pairing_consts k;
  pairing_load(&k);
  g1_aff p[PAIRING_MAX];
  g2_aff q[PAIRING_MAX], qn[PAIRING_MAX];
  g2_proj t[PAIRING_MAX];
  u32 m = 0;
  for (u32 i = 0; i < n; i++) {
    g1_load(&p[m], g1 + 64 * (u64)i);
    g2_load(&q[m], g2 + 128 * (u64)i);
    if (g1_aff_is_inf(&p[m]) || g2_aff_is_inf(&q[m])) continue;
    COPY(&qn[m].x, &q[m].x);
    fp2_neg(&qn[m].y, &q[m].y);
    COPY(&t[m].x, &q[m].x);
    COPY(&t[m].y, &q[m].y);
    COPY(&t[m].z, &FP2_ONE);
    m++;
  }
  fp12 f;
  fp12_one(&f);
  line l;
  for (int i = 64; i >= 0; i--) {
    if (i < 64) fp12_sqr(&f, &f);
    for (u32 j = 0; j < m; j++) {
      dbl_step(&t[j], &l, &k);
      mul_line(&f, &l, &p[j]);
      if (ATE_NAF[i]) {
        add_step(&t[j], &l, ATE_NAF[i] > 0 ? &q[j] : &qn[j], 1);
        mul_line(&f, &l, &p[j]);
      }
    }
  }
  for (u32 j = 0; j < m; j++) {
    g2_aff q1, q2;
    fp2_conj(&q1.x, &q[j].x);
    fp2_mul(&q1.x, &q1.x, &k.frob[0][1]);
    fp2_conj(&q1.y, &q[j].y);
    fp2_mul(&q1.y, &q1.y, &k.frob[0][2]);
    fp2_mul(&q2.x, &q[j].x, &k.frob[1][1]);
    fp2_mul(&q2.y, &q[j].y, &k.frob[1][2]);
    fp2_neg(&q2.y, &q2.y);
    add_step(&t[j], &l, &q1, 1);
    mul_line(&f, &l, &p[j]);
    add_step(&t[j], &l, &q2, 0);
    mul_line(&f, &l, &p[j]);
  }
  fp12 e;
  final_exp(&e, &f, &k);
  /* compare with 1, coefficient by coefficient in canonical form */
  const fp* c = (const fp*)&e;
  u32 one = 1;
  for (int i = 0; i < 12; i++) {
    fp v;
    fp_canon(&v, &c[i]);
    one &= (u32)(i == 0 ? fp_eq(&v, &FP_ONE) : fp_is_zero(&v));
  }
  return one;
}
