/*
 * The tower Fp6 = Fp2[v]/(v³ − ξ), Fp12 = Fp6[w]/(w² − v), ξ = 9 + u, for the pairing: the arithmetic that needs
 * no constants beyond fp2.h's (Frobenius maps and the final exponentiation are in pairing.h). Included by
 * pairing.h.
 */

typedef struct { fp2 b0, b1, b2; } fp6;
typedef struct { fp6 c0, c1; } fp12;

/* ---- Fp2 helpers ---- */

static void fp2_mul_xi(fp2* r, const fp2* a) { /* (a0 + a1·u)(9 + u) = (9a0 − a1) + (a0 + 9a1)·u */
  fp t0, t1;
  fp_dbl(&t0, &a->c0);
  fp_dbl(&t0, &t0);
  fp_dbl(&t0, &t0);
  fp_add(&t0, &t0, &a->c0);
  fp_sub(&t0, &t0, &a->c1);
  fp_dbl(&t1, &a->c1);
  fp_dbl(&t1, &t1);
  fp_dbl(&t1, &t1);
  fp_add(&t1, &t1, &a->c1);
  fp_add(&r->c1, &t1, &a->c0);
  COPY(&r->c0, &t0);
}
static void fp2_mul_fp(fp2* r, const fp2* a, const fp* s) {
  fp_mul(&r->c0, &a->c0, s);
  fp_mul(&r->c1, &a->c1, s);
}
static void fp2_conj(fp2* r, const fp2* a) {
  COPY(&r->c0, &a->c0);
  fp_neg(&r->c1, &a->c1);
}

/* ---- Fp6 ---- */

static void fp6_add(fp6* r, const fp6* a, const fp6* b) {
  fp2_add(&r->b0, &a->b0, &b->b0);
  fp2_add(&r->b1, &a->b1, &b->b1);
  fp2_add(&r->b2, &a->b2, &b->b2);
}
static void fp6_sub(fp6* r, const fp6* a, const fp6* b) {
  fp2_sub(&r->b0, &a->b0, &b->b0);
  fp2_sub(&r->b1, &a->b1, &b->b1);
  fp2_sub(&r->b2, &a->b2, &b->b2);
}
static void fp6_neg(fp6* r, const fp6* a) {
  fp2_neg(&r->b0, &a->b0);
  fp2_neg(&r->b1, &a->b1);
  fp2_neg(&r->b2, &a->b2);
}
static void fp6_mul_v(fp6* r, const fp6* a) { /* a·v: (b0, b1, b2) -> (ξ·b2, b0, b1) */
  fp2 t;
  fp2_mul_xi(&t, &a->b2);
  COPY(&r->b2, &a->b1);
  COPY(&r->b1, &a->b0);
  COPY(&r->b0, &t);
}
static void fp6_mul_fp2(fp6* r, const fp6* a, const fp2* s) {
  fp2_mul(&r->b0, &a->b0, s);
  fp2_mul(&r->b1, &a->b1, s);
  fp2_mul(&r->b2, &a->b2, s);
}
static void fp6_mul(fp6* r, const fp6* a, const fp6* b) { /* Karatsuba over the three coefficients */
  fp2 t0, t1, t2, s, u, c0, c1, c2;
  fp2_mul(&t0, &a->b0, &b->b0);
  fp2_mul(&t1, &a->b1, &b->b1);
  fp2_mul(&t2, &a->b2, &b->b2);
  fp2_add(&s, &a->b1, &a->b2);
  fp2_add(&u, &b->b1, &b->b2);
  fp2_mul(&c0, &s, &u);
  fp2_sub(&c0, &c0, &t1);
  fp2_sub(&c0, &c0, &t2);
  fp2_mul_xi(&c0, &c0);
  fp2_add(&c0, &c0, &t0);
  fp2_add(&s, &a->b0, &a->b1);
  fp2_add(&u, &b->b0, &b->b1);
  fp2_mul(&c1, &s, &u);
  fp2_sub(&c1, &c1, &t0);
  fp2_sub(&c1, &c1, &t1);
  fp2_mul_xi(&s, &t2);
  fp2_add(&c1, &c1, &s);
  fp2_add(&s, &a->b0, &a->b2);
  fp2_add(&u, &b->b0, &b->b2);
  fp2_mul(&c2, &s, &u);
  fp2_sub(&c2, &c2, &t0);
  fp2_sub(&c2, &c2, &t2);
  fp2_add(&c2, &c2, &t1);
  COPY(&r->b0, &c0);
  COPY(&r->b1, &c1);
  COPY(&r->b2, &c2);
}
static void fp6_sqr(fp6* r, const fp6* a) { fp6_mul(r, a, a); }
/* a·(c0 + c1·v) */
static void fp6_mul_01(fp6* r, const fp6* a, const fp2* c0, const fp2* c1) {
  fp2 x, y, s, t0, t1, t2;
  fp2_mul(&x, &a->b0, c0);
  fp2_mul(&y, &a->b1, c1);
  fp2_add(&s, &a->b1, &a->b2);
  fp2_mul(&t0, c1, &s);
  fp2_sub(&t0, &t0, &y);
  fp2_mul_xi(&t0, &t0);
  fp2_add(&t0, &t0, &x);
  fp2_add(&s, &a->b0, &a->b2);
  fp2_mul(&t2, c0, &s);
  fp2_sub(&t2, &t2, &x);
  fp2_add(&t2, &t2, &y);
  fp2_add(&t1, c0, c1);
  fp2_add(&s, &a->b0, &a->b1);
  fp2_mul(&t1, &t1, &s);
  fp2_sub(&t1, &t1, &x);
  fp2_sub(&t1, &t1, &y);
  COPY(&r->b0, &t0);
  COPY(&r->b1, &t1);
  COPY(&r->b2, &t2);
}
static void fp6_inv(fp6* r, const fp6* a) {
  fp2 t0, t1, t2, t3, t4, t5, c0, c1, c2, d;
  fp2_sqr(&t0, &a->b0);
  fp2_sqr(&t1, &a->b1);
  fp2_sqr(&t2, &a->b2);
  fp2_mul(&t3, &a->b0, &a->b1);
  fp2_mul(&t4, &a->b0, &a->b2);
  fp2_mul(&t5, &a->b1, &a->b2);
  fp2_mul_xi(&c0, &t5);
  fp2_sub(&c0, &t0, &c0); /* b0² − ξ·b1·b2 */
  fp2_mul_xi(&c1, &t2);
  fp2_sub(&c1, &c1, &t3); /* ξ·b2² − b0·b1 */
  fp2_sub(&c2, &t1, &t4); /* b1² − b0·b2 */
  fp2_mul(&d, &a->b0, &c0);
  fp2_mul(&t0, &a->b2, &c1);
  fp2_mul(&t1, &a->b1, &c2);
  fp2_add(&t0, &t0, &t1);
  fp2_mul_xi(&t0, &t0);
  fp2_add(&d, &d, &t0);
  fp2_inv(&d, &d);
  fp2_mul(&r->b0, &c0, &d);
  fp2_mul(&r->b1, &c1, &d);
  fp2_mul(&r->b2, &c2, &d);
}

/* ---- Fp12 ---- */

static void fp12_one(fp12* r) {
  *r = (fp12){0};
  COPY(&r->c0.b0.c0, &FP_ONE);
}
static void fp12_mul(fp12* r, const fp12* a, const fp12* b) {
  fp6 s, t, x, y;
  fp6_add(&s, &a->c0, &a->c1);
  fp6_add(&t, &b->c0, &b->c1);
  fp6_mul(&s, &s, &t);
  fp6_mul(&x, &a->c0, &b->c0);
  fp6_mul(&y, &a->c1, &b->c1);
  fp6_sub(&s, &s, &x);
  fp6_sub(&r->c1, &s, &y);
  fp6_mul_v(&y, &y);
  fp6_add(&r->c0, &x, &y);
}
static void fp12_sqr(fp12* r, const fp12* a) { /* (c0 + c1·w)² = c0² + v·c1² + 2c0c1·w */
  fp6 s, t, m;
  fp6_sub(&s, &a->c0, &a->c1);
  fp6_mul_v(&t, &a->c1);
  fp6_sub(&t, &a->c0, &t);
  fp6_mul(&m, &a->c0, &a->c1);
  fp6_mul(&s, &s, &t);
  fp6_add(&s, &s, &m); /* (c0 − c1)(c0 − v·c1) + c0c1 = c0² + v·c1² − v·c0c1 */
  fp6_add(&r->c1, &m, &m);
  fp6_mul_v(&m, &m);
  fp6_add(&r->c0, &s, &m);
}
static void fp12_conj(fp12* r, const fp12* a) {
  COPY(&r->c0, &a->c0);
  fp6_neg(&r->c1, &a->c1);
}
static void fp12_inv(fp12* r, const fp12* a) {
  fp6 t0, t1;
  fp6_sqr(&t0, &a->c0);
  fp6_sqr(&t1, &a->c1);
  fp6_mul_v(&t1, &t1);
  fp6_sub(&t0, &t0, &t1);
  fp6_inv(&t1, &t0);
  fp6_mul(&r->c0, &a->c0, &t1);
  fp6_mul(&r->c1, &a->c1, &t1);
  fp6_neg(&r->c1, &r->c1);
}
/* a·(c0 + c3·w + c4·v·w): a line */
static void fp12_mul_034(fp12* r, const fp12* a, const fp2* c0, const fp2* c3, const fp2* c4) {
  fp6 x, y, d;
  fp2 d0;
  fp6_mul_fp2(&x, &a->c0, c0);
  fp6_mul_01(&y, &a->c1, c3, c4);
  fp2_add(&d0, c0, c3);
  fp6_add(&d, &a->c0, &a->c1);
  fp6_mul_01(&d, &d, &d0, c4);
  fp6_sub(&d, &d, &x);
  fp6_sub(&r->c1, &d, &y);
  fp6_mul_v(&y, &y);
  fp6_add(&r->c0, &y, &x);
}
/* Granger–Scott squaring of an element of the cyclotomic subgroup (after the easy part) */
static void fp12_cyclo_sqr(fp12* r, const fp12* a) {
  fp2 t[9];
  fp2_sqr(&t[0], &a->c1.b1);
  fp2_sqr(&t[1], &a->c0.b0);
  fp2_add(&t[6], &a->c1.b1, &a->c0.b0);
  fp2_sqr(&t[6], &t[6]);
  fp2_sub(&t[6], &t[6], &t[0]);
  fp2_sub(&t[6], &t[6], &t[1]);
  fp2_sqr(&t[2], &a->c0.b2);
  fp2_sqr(&t[3], &a->c1.b0);
  fp2_add(&t[7], &a->c0.b2, &a->c1.b0);
  fp2_sqr(&t[7], &t[7]);
  fp2_sub(&t[7], &t[7], &t[2]);
  fp2_sub(&t[7], &t[7], &t[3]);
  fp2_sqr(&t[4], &a->c1.b2);
  fp2_sqr(&t[5], &a->c0.b1);
  fp2_add(&t[8], &a->c1.b2, &a->c0.b1);
  fp2_sqr(&t[8], &t[8]);
  fp2_sub(&t[8], &t[8], &t[4]);
  fp2_sub(&t[8], &t[8], &t[5]);
  fp2_mul_xi(&t[8], &t[8]);
  fp2_mul_xi(&t[0], &t[0]);
  fp2_add(&t[0], &t[0], &t[1]);
  fp2_mul_xi(&t[2], &t[2]);
  fp2_add(&t[2], &t[2], &t[3]);
  fp2_mul_xi(&t[4], &t[4]);
  fp2_add(&t[4], &t[4], &t[5]);
  fp12 z;
  fp2_sub(&z.c0.b0, &t[0], &a->c0.b0);
  fp2_dbl(&z.c0.b0, &z.c0.b0);
  fp2_add(&z.c0.b0, &z.c0.b0, &t[0]);
  fp2_sub(&z.c0.b1, &t[2], &a->c0.b1);
  fp2_dbl(&z.c0.b1, &z.c0.b1);
  fp2_add(&z.c0.b1, &z.c0.b1, &t[2]);
  fp2_sub(&z.c0.b2, &t[4], &a->c0.b2);
  fp2_dbl(&z.c0.b2, &z.c0.b2);
  fp2_add(&z.c0.b2, &z.c0.b2, &t[4]);
  fp2_add(&z.c1.b0, &t[8], &a->c1.b0);
  fp2_dbl(&z.c1.b0, &z.c1.b0);
  fp2_add(&z.c1.b0, &z.c1.b0, &t[8]);
  fp2_add(&z.c1.b1, &t[6], &a->c1.b1);
  fp2_dbl(&z.c1.b1, &z.c1.b1);
  fp2_add(&z.c1.b1, &z.c1.b1, &t[6]);
  fp2_add(&z.c1.b2, &t[7], &a->c1.b2);
  fp2_dbl(&z.c1.b2, &z.c1.b2);
  fp2_add(&z.c1.b2, &z.c1.b2, &t[7]);
  *r = z;
}
