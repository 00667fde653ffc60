/*
 * Multi-scalar multiplication on one group, instantiated twice by msm.c (G1 over Fp, G2 over Fp2) with:
 *   F            the coordinate field type;  F_(op) its operations (see field.h)
 *   G_(name)     the group's symbol prefix
 *   F_ONE, F_ZERO_V, PT_BYTES (64 or 128), INF_LIMB (the top limb of x's first Fp)
 *   DEN(fp* den, const F* d)                 an Fp denominator for d (d itself, or its norm for Fp2)
 *   INV_WITH(F* r, const F* d, const fp* di) d^-1 from the inverse di of DEN(d)
 *   CHUNK_SLOTS                              bucket slots summed together (cache-sized)
 *   COST_*                                   relative costs for the planner (make_plan), in Fp multiplications
 *
 * Algorithm (the plan picks the variant and window size from n and the scalar width):
 *  - Pippenger's bucket method with signed or unsigned window digits. Per pass (a few windows), a counting sort
 *    copies each point (negated for a negative digit) into its bucket's run of slots; every bucket is then summed
 *    in place by rounds of pairwise affine additions, all pairs of a round (over a cache-sized group of buckets)
 *    sharing one field inversion (Montgomery's trick). The bucket sums S_j of a window are combined as
 *    Σ j·S_j = 2^h·Σ_a a·T_a + Σ_l l·U_l (j = a·2^h + l, T_a = Σ_l S_j, U_l = Σ_a S_j): T and U are again bucket
 *    sums of the same kind, and their short weighted sums are running sums in Jacobian coordinates. Windows are
 *    joined by doublings (Horner).
 *  - For few points: Jacobian buckets (mixed additions), or Straus (shared doublings, one mixed addition per
 *    nonzero NAF digit of each scalar).
 * Every addition handles its special cases: infinity on either side, equal points (doubling), opposite points
 * (infinity), so the result is the exact group sum for any points on the curve and any scalars, whatever the
 * input (repeated points, P and −P, infinity, zero scalars).
 */

typedef struct { F x, y; } G_(aff); /* infinity: INF_MARK in the top limb of x (canonical values never have it) */
typedef struct { F x, y, z; } G_(jac); /* infinity: z ≡ 0 */

INLINE int G_(aff_is_inf)(const G_(aff)* p) { return p->x.INF_LIMB == INF_MARK; }
INLINE void G_(aff_set_inf)(G_(aff)* p) { p->x.INF_LIMB = INF_MARK; }
INLINE void G_(jac_set_inf)(G_(jac)* p) {
  COPY(&p->x, &F_ONE);
  COPY(&p->y, &F_ONE);
  COPY(&p->z, &F_ZERO_V);
}
INLINE int G_(jac_is_inf)(const G_(jac)* p) { return F_(is_zero)(&p->z); }

/* dbl-2009-l (a = 0): 2M + 5S */
NOINLINE void G_(jac_dbl)(G_(jac)* r, const G_(jac)* p) {
  F A, B, C, D, E, Fs, t, X3, Y3, Z3;
  F_(sqr)(&A, &p->x);
  F_(sqr)(&B, &p->y);
  F_(sqr)(&C, &B);
  F_(add)(&t, &p->x, &B);
  F_(sqr)(&t, &t);
  F_(sub)(&t, &t, &A);
  F_(sub)(&t, &t, &C);
  F_(dbl)(&D, &t);
  F_(dbl)(&E, &A);
  F_(add)(&E, &E, &A);
  F_(sqr)(&Fs, &E);
  F_(mul)(&Z3, &p->y, &p->z);
  F_(dbl)(&Z3, &Z3);
  F_(dbl)(&t, &D);
  F_(sub)(&X3, &Fs, &t);
  F_(sub)(&t, &D, &X3);
  F_(mul)(&Y3, &E, &t);
  F_(dbl)(&C, &C);
  F_(dbl)(&C, &C);
  F_(dbl)(&C, &C);
  F_(sub)(&Y3, &Y3, &C);
  COPY(&r->x, &X3);
  COPY(&r->y, &Y3);
  COPY(&r->z, &Z3);
}

/* r = p + q (q affine), madd-2007-bl with every special case */
NOINLINE void G_(jac_madd)(G_(jac)* r, const G_(jac)* p, const G_(aff)* q) {
  if (G_(aff_is_inf)(q)) {
    COPY(r, p);
    return;
  }
  if (G_(jac_is_inf)(p)) {
    COPY(&r->x, &q->x);
    COPY(&r->y, &q->y);
    COPY(&r->z, &F_ONE);
    return;
  }
  F Z1Z1, U2, S2, H, HH, I, J, R, V, t, X3, Y3, Z3;
  F_(sqr)(&Z1Z1, &p->z);
  F_(mul)(&U2, &q->x, &Z1Z1);
  F_(mul)(&S2, &q->y, &p->z);
  F_(mul)(&S2, &S2, &Z1Z1);
  F_(sub)(&H, &U2, &p->x);
  F_(sub)(&R, &S2, &p->y);
  if (F_(is_zero)(&H)) {
    if (F_(is_zero)(&R)) {
      G_(jac) a;
      COPY(&a.x, &q->x);
      COPY(&a.y, &q->y);
      COPY(&a.z, &F_ONE);
      G_(jac_dbl)(r, &a);
    } else {
      G_(jac_set_inf)(r);
    }
    return;
  }
  F_(dbl)(&R, &R);
  F_(sqr)(&HH, &H);
  F_(dbl)(&I, &HH);
  F_(dbl)(&I, &I);
  F_(mul)(&J, &H, &I);
  F_(mul)(&V, &p->x, &I);
  F_(sqr)(&X3, &R);
  F_(sub)(&X3, &X3, &J);
  F_(sub)(&X3, &X3, &V);
  F_(sub)(&X3, &X3, &V);
  F_(sub)(&t, &V, &X3);
  F_(mul)(&Y3, &R, &t);
  F_(mul)(&t, &p->y, &J);
  F_(dbl)(&t, &t);
  F_(sub)(&Y3, &Y3, &t);
  F_(add)(&Z3, &p->z, &H);
  F_(sqr)(&Z3, &Z3);
  F_(sub)(&Z3, &Z3, &Z1Z1);
  F_(sub)(&Z3, &Z3, &HH);
  COPY(&r->x, &X3);
  COPY(&r->y, &Y3);
  COPY(&r->z, &Z3);
}

/* r = p + q, add-2007-bl with every special case */
NOINLINE void G_(jac_add)(G_(jac)* r, const G_(jac)* p, const G_(jac)* q) {
  if (G_(jac_is_inf)(q)) {
    COPY(r, p);
    return;
  }
  if (G_(jac_is_inf)(p)) {
    COPY(r, q);
    return;
  }
  F Z1Z1, Z2Z2, U1, U2, S1, S2, H, I, J, R, V, t, X3, Y3, Z3;
  F_(sqr)(&Z1Z1, &p->z);
  F_(sqr)(&Z2Z2, &q->z);
  F_(mul)(&U1, &p->x, &Z2Z2);
  F_(mul)(&U2, &q->x, &Z1Z1);
  F_(mul)(&S1, &p->y, &q->z);
  F_(mul)(&S1, &S1, &Z2Z2);
  F_(mul)(&S2, &q->y, &p->z);
  F_(mul)(&S2, &S2, &Z1Z1);
  F_(sub)(&H, &U2, &U1);
  F_(sub)(&R, &S2, &S1);
  if (F_(is_zero)(&H)) {
    if (F_(is_zero)(&R)) G_(jac_dbl)(r, p);
    else G_(jac_set_inf)(r);
    return;
  }
  F_(dbl)(&I, &H);
  F_(sqr)(&I, &I);
  F_(mul)(&J, &H, &I);
  F_(dbl)(&R, &R);
  F_(mul)(&V, &U1, &I);
  F_(sqr)(&X3, &R);
  F_(sub)(&X3, &X3, &J);
  F_(sub)(&X3, &X3, &V);
  F_(sub)(&X3, &X3, &V);
  F_(sub)(&t, &V, &X3);
  F_(mul)(&Y3, &R, &t);
  F_(mul)(&t, &S1, &J);
  F_(dbl)(&t, &t);
  F_(sub)(&Y3, &Y3, &t);
  F_(add)(&Z3, &p->z, &q->z);
  F_(sqr)(&Z3, &Z3);
  F_(sub)(&Z3, &Z3, &Z1Z1);
  F_(sub)(&Z3, &Z3, &Z2Z2);
  F_(mul)(&Z3, &Z3, &H);
  COPY(&r->x, &X3);
  COPY(&r->y, &Y3);
  COPY(&r->z, &Z3);
}


/* How a + b is formed (a K_* value), comparing canonical forms. */
INLINE u32 G_(pair_kind)(const G_(aff)* a, const G_(aff)* b) {
  if (G_(aff_is_inf)(a)) return K_SECOND;
  if (G_(aff_is_inf)(b)) return K_FIRST;
  F u, v;
  F_(canon)(&u, &a->x);
  F_(canon)(&v, &b->x);
  if (F_(eq)(&u, &v)) {
    /* equal x: b = a (doubling, unless y = 0: a 2-torsion point, sum infinity) or b = −a (infinity) */
    F_(canon)(&u, &a->y);
    F_(canon)(&v, &b->y);
    if (F_(eq)(&u, &v) && !F_(is_zero)(&u)) return K_DBL;
    return K_INF;
  }
  return K_ADD;
}

/* the slope's denominator: x_b − x_a (K_ADD) or 2·y_a (K_DBL); < 6q */
INLINE void G_(pair_den)(F* d, const G_(aff)* a, const G_(aff)* b, u32 kind) {
  if (kind == K_ADD) F_(add_sub_nr)(d, &b->x, &FP_Q4, &a->x);
  else F_(dbl)(d, &a->y);
}

/*
 * Sums every bucket in place. Bucket b holds cnt[b] affine points from slots + start[b] (coordinates in [0, 2q));
 * afterwards a nonempty bucket holds one point (possibly infinity) at slots + start[b]. act lists the buckets with
 * cnt >= 2 (nact). Each round adds the points of every bucket in pairs, all with one inversion. Scratch for m
 * slots in all: prod m/2 + 1 and den m/2 Fp values, kind m/2 bytes.
 *
 * A round first assumes that no pair has equal x coordinates (the denominators are x_b − x_a); if the product of
 * the denominators is then zero, some pair does, and the round classifies every pair exactly (pair_kind) instead.
 */
static void G_(sum_rounds)(G_(aff)* slots, const u32* start, u32* cnt, u32* act, u32 nact, fp* prod, fp* den, u8* kind) {
  while (nact) {
    u32 P = 0;
    for (u32 k = 0; k < nact; k++) P += cnt[act[k]] >> 1;
    /* Suffix products of the denominators, pairs taken in reverse order. */
    COPY(&prod[P], &FP_ONE);
    u32 p = P;
    for (u32 k = nact; k-- > 0;) {
      const u32 b = act[k];
      const G_(aff)* s = slots + start[b];
      for (u32 j = cnt[b] >> 1; j-- > 0;) {
        p--;
        const G_(aff)* a = s + 2 * j;
        const G_(aff)* e = a + 1;
        if (G_(aff_is_inf)(a) | G_(aff_is_inf)(e)) {
          kind[p] = G_(aff_is_inf)(a) ? K_SECOND : K_FIRST;
          COPY(&prod[p], &prod[p + 1]);
          continue;
        }
        kind[p] = K_ADD;
        F d;
        F_(add_sub_nr)(&d, &e->x, &FP_Q4, &a->x);
        DEN(&den[p], &d);
        fp_mul(&prod[p], &prod[p + 1], &den[p]);
      }
    }
    if (fp_is_zero(&prod[0])) {
      p = P;
      for (u32 k = nact; k-- > 0;) {
        const u32 b = act[k];
        const G_(aff)* s = slots + start[b];
        for (u32 j = cnt[b] >> 1; j-- > 0;) {
          p--;
          const G_(aff)* a = s + 2 * j;
          const u32 kd = G_(pair_kind)(a, a + 1);
          kind[p] = (u8)kd;
          if (kd <= K_DBL) {
            F d;
            G_(pair_den)(&d, a, a + 1, kd);
            DEN(&den[p], &d);
            fp_mul(&prod[p], &prod[p + 1], &den[p]);
          } else {
            COPY(&prod[p], &prod[p + 1]);
          }
        }
      }
    }
    fp inv;
    fp_inv(&inv, &prod[0]);
    /* Forward: inv holds the inverse of the product of the denominators of pairs p..P−1. */
    p = 0;
    u32 nnext = 0;
    for (u32 k = 0; k < nact; k++) {
      const u32 b = act[k];
      G_(aff)* s = slots + start[b];
      const u32 c = cnt[b];
      const u32 np = c >> 1;
      for (u32 j = 0; j < np; j++, p++) {
        const G_(aff)* a = s + 2 * j;
        const G_(aff)* e = a + 1;
        G_(aff)* out = s + j;
        const u32 kd = kind[p];
        if (kd > K_DBL) {
          if (kd == K_FIRST) COPY(out, a);
          else if (kd == K_SECOND) COPY(out, e);
          else G_(aff_set_inf)(out);
          continue;
        }
        F d, di, num, lam, t, x3;
        fp dinv;
        G_(pair_den)(&d, a, e, kd);
        fp_mul(&dinv, &inv, &prod[p + 1]);
        fp_mul(&inv, &inv, &den[p]);
        INV_WITH(&di, &d, &dinv);
        if (kd == K_ADD) {
          F_(add_sub_nr)(&num, &e->y, &FP_Q2, &a->y);
        } else {
          F_(sqr)(&t, &a->x);
          F_(dbl)(&num, &t);
          F_(add)(&num, &num, &t);
        }
        F_(mul)(&lam, &num, &di);
        F_(sqr)(&t, &lam);
        F_(add_sub2_nr)(&t, &t, &FP_Q4, &a->x, &e->x); /* (0, 5.1q) */
        F_(reduce2)(&x3, &t);
        F_(add_sub_nr)(&t, &a->x, &FP_Q2, &x3); /* (0, 4q) */
        F_(mul)(&t, &lam, &t);
        F_(add_sub_nr)(&t, &t, &FP_Q2, &a->y); /* (0, 3.1q) */
        COPY(&out->x, &x3);
        F_(reduce2)(&out->y, &t);
      }
      if (c & 1) COPY(&s[np], &s[c - 1]);
      const u32 c2 = (c + 1) >> 1;
      cnt[b] = c2;
      if (c2 >= 2) act[nnext++] = b;
    }
    nact = nnext;
  }
}

/* sum_rounds over groups of buckets small enough to stay in cache (at most CHUNK_SLOTS slots, or one bucket) */
static void G_(sum_buckets)(G_(aff)* slots, const u32* start, u32* cnt, u32* act, u32 nact, fp* prod, fp* den, u8* kind) {
  u32 k0 = 0;
  while (k0 < nact) {
    u32 k1 = k0, tot = 0;
    while (k1 < nact && (tot == 0 || tot + cnt[act[k1]] <= CHUNK_SLOTS)) tot += cnt[act[k1++]];
    G_(sum_rounds)(slots, start, cnt, act + k0, k1 - k0, prod, den, kind);
    k0 = k1;
  }
}

INLINE void G_(load)(G_(aff)* r, const u8* p) {
  u32 nz = 0;
  for (int i = 0; i < PT_BYTES; i++) nz |= p[i];
  if (!nz) {
    G_(aff_set_inf)(r);
    return;
  }
  F_(from_lem)(&r->x, p);
  F_(from_lem)(&r->y, p + PT_BYTES / 2);
}

static void G_(store)(u8* out, const G_(jac)* p) {
  if (G_(jac_is_inf)(p)) {
    for (int i = 0; i < PT_BYTES; i++) out[i] = 0;
    return;
  }
  F zi, zi2, x, y;
  F_(inv)(&zi, &p->z);
  F_(sqr)(&zi2, &zi);
  F_(mul)(&x, &p->x, &zi2);
  F_(mul)(&zi2, &zi2, &zi);
  F_(mul)(&y, &p->y, &zi2);
  F_(to_lem)(out, &x);
  F_(to_lem)(out + PT_BYTES / 2, &y);
}

/* Σ_{b=1..B} b·S_b by running sums over affine points S_b = slots[start[b]] (when cnt[b] != 0) */
static void G_(running_aff)(G_(jac)* res, const G_(aff)* slots, const u32* start, const u32* cnt, u32 B) {
  G_(jac) run, tot;
  G_(jac_set_inf)(&run);
  G_(jac_set_inf)(&tot);
  int started = 0;
  for (u32 b = B; b >= 1; b--) {
    if (cnt[b] && !G_(aff_is_inf)(slots + start[b])) {
      G_(jac_madd)(&run, &run, slots + start[b]);
      started = 1;
    }
    if (started) G_(jac_add)(&tot, &tot, &run);
  }
  COPY(res, &tot);
}

/* the same for Jacobian buckets (direct mode) */
static void G_(running_jac)(G_(jac)* res, const G_(jac)* bk, const u8* used, u32 B) {
  G_(jac) run, tot;
  G_(jac_set_inf)(&run);
  G_(jac_set_inf)(&tot);
  int started = 0;
  for (u32 b = B; b >= 1; b--) {
    if (used[b]) {
      G_(jac_add)(&run, &run, bk + b);
      started = 1;
    }
    if (started) G_(jac_add)(&tot, &tot, &run);
  }
  COPY(res, &tot);
}

INLINE void G_(put)(G_(aff)* s, const G_(aff)* p, i32 d) {
  COPY(&s->x, &p->x);
  if (d < 0) F_(neg)(&s->y, &p->y);
  else COPY(&s->y, &p->y);
}

/* Σ s_i·P_i for a few points: one doubling per bit, shared; a mixed addition per nonzero NAF digit */
NOINLINE u32 G_(straus)(u8* out, const G_(aff)* pts, const u8* sc, u32 n, u32 sb, i8* naf) {
  const u32 bits = sb * 8;
  for (u32 i = 0; i < n; i++) naf_digits(sc + (u64)i * sb, sb, naf + (u64)i * (bits + 1));
  G_(jac) acc;
  G_(jac_set_inf)(&acc);
  int started = 0;
  for (u32 k = bits + 1; k-- > 0;) {
    if (started) G_(jac_dbl)(&acc, &acc);
    for (u32 i = 0; i < n; i++) {
      const i8 d = naf[(u64)i * (bits + 1) + k];
      if (!d || G_(aff_is_inf)(pts + i)) continue;
      G_(aff) p;
      G_(put)(&p, pts + i, d);
      G_(jac_madd)(&acc, &acc, &p);
      started = 1;
    }
  }
  G_(store)(out, &acc);
  return 1;
}

static const struct costs G_(costs) = {COST_BATCH_ADD, COST_MADD, COST_ADD, COST_DBL, COST_GATHER, CHUNK_SLOTS};


/* Returns 0 when memory could not be had; on a dry heap (msm_scratch) only takes the measure of the memory. */
COLD u32 G_(msm)(struct heap* h, const u8* in, const u8* sc, u32 n, u32 sb, u8* out) {
  struct plan pl;
  make_plan(&pl, n, sb * 8, &G_(costs));
  const u32 B = pl.buckets, W = pl.windows, WG = pl.per_pass;
  G_(aff)* pts = (G_(aff)*)halloc(h, (u64)n * sizeof(G_(aff)));
  u8* carry = (u8*)halloc(h, n);
  i32* dig = (i32*)halloc(h, (u64)n * W * 4);
  G_(jac)* wres = (G_(jac)*)halloc(h, W * sizeof(G_(jac)));
  /* batch mode */
  const u32 NB = WG * (B + 1);         /* first-level buckets of a pass */
  const u32 H = pl.h, L = 1u << H, A = B >> H, GW = A + 1 + L; /* second level: groups per window */
  const u32 NG = WG * GW;
  const u64 M1 = (u64)WG * n, M2 = pl.second ? (u64)WG * 2 * B : 0;
  const u64 M = M1 > M2 ? M1 : M2;
  u32 *cnt = 0, *start = 0, *pos = 0, *act = 0;
  G_(aff) *slots = 0, *slots2 = 0;
  fp *prod = 0, *den = 0;
  u8* kind = 0;
  /* direct mode */
  G_(jac)* bk = 0;
  u8* used = 0;
  if (pl.batch) {
    const u32 NC = NB > NG ? NB : NG;
    cnt = (u32*)halloc(h, (u64)NC * 4);
    start = (u32*)halloc(h, (u64)NC * 4);
    pos = (u32*)halloc(h, (u64)NC * 4);
    act = (u32*)halloc(h, (u64)NC * 4);
    slots = (G_(aff)*)halloc(h, M1 * sizeof(G_(aff)));
    if (pl.second) slots2 = (G_(aff)*)halloc(h, M2 * sizeof(G_(aff)));
    prod = (fp*)halloc(h, (M / 2 + 1) * sizeof(fp));
    den = (fp*)halloc(h, (M / 2 + 1) * sizeof(fp));
    kind = (u8*)halloc(h, M / 2 + 1);
  } else {
    bk = (G_(jac)*)halloc(h, (u64)(B + 1) * sizeof(G_(jac)));
    used = (u8*)halloc(h, B + 1);
  }
  i8* naf = pl.straus ? (i8*)halloc(h, (u64)n * (sb * 8 + 1)) : 0;
  if (!heap_ok(h)) return 0;
  if (h->dry) return 1;

  for (u32 i = 0; i < n; i++) {
    G_(load)(pts + i, in + (u64)i * PT_BYTES);
    carry[i] = 0;
  }
  if (pl.straus) return G_(straus)(out, pts, sc, n, sb, naf);
  for (u32 w = 0; w < W; w++) window_digits(&pl, w, sc, n, sb, carry, dig + (u64)w * n);

  if (!pl.batch) {
    for (u32 w = 0; w < W; w++) {
      const i32* dw = dig + (u64)w * n;
      for (u32 b = 0; b <= B; b++) used[b] = 0;
      for (u32 i = 0; i < n; i++) {
        const i32 d = dw[i];
        if (d == 0 || G_(aff_is_inf)(pts + i)) continue;
        const u32 b = d < 0 ? -d : d;
        G_(aff) pt;
        G_(put)(&pt, pts + i, d);
        if (!used[b]) {
          G_(jac_set_inf)(bk + b);
          used[b] = 1;
        }
        G_(jac_madd)(bk + b, bk + b, &pt);
      }
      G_(running_jac)(wres + w, bk, used, B);
    }
  } else {
    for (u32 w0 = 0; w0 < W; w0 += WG) {
      const u32 wn = W - w0 < WG ? W - w0 : WG;
      PROF_MARK(0);
      /* first level: sort the points of windows w0..w0+wn−1 into buckets (window k: ids k·(B+1) + |digit|) */
      for (u32 x = 0; x < wn * (B + 1); x++) cnt[x] = 0;
      for (u32 k = 0; k < wn; k++) {
        const i32* dw = dig + (u64)(w0 + k) * n;
        u32* ck = cnt + k * (B + 1);
        for (u32 i = 0; i < n; i++) {
          const i32 d = dw[i];
          if (d == 0 || G_(aff_is_inf)(pts + i)) continue;
          ck[d < 0 ? -d : d]++;
        }
      }
      u32 acc = 0, nact = 0;
      for (u32 x = 0; x < wn * (B + 1); x++) {
        start[x] = acc;
        pos[x] = acc;
        acc += cnt[x];
        if (cnt[x] >= 2) act[nact++] = x;
      }
      for (u32 k = 0; k < wn; k++) {
        const i32* dw = dig + (u64)(w0 + k) * n;
        u32* pk = pos + k * (B + 1);
        for (u32 i = 0; i < n; i++) {
          const i32 d = dw[i];
          if (d == 0 || G_(aff_is_inf)(pts + i)) continue;
          G_(put)(slots + pk[d < 0 ? -d : d]++, pts + i, d);
        }
      }
      PROF_MARK(1);
      G_(sum_buckets)(slots, start, cnt, act, nact, prod, den, kind);
      PROF_MARK(2);
      if (!pl.second) {
        for (u32 k = 0; k < wn; k++) G_(running_aff)(wres + w0 + k, slots, start + k * (B + 1), cnt + k * (B + 1), B);
        PROF_MARK(3);
        continue;
      }
      /*
       * second level: Σ_j j·S_j = 2^H·Σ_a a·T_a + Σ_l l·U_l with j = a·2^H + l, T_a = Σ_l S_{a,l}, U_l = Σ_a S_{a,l}.
       * Each S_j goes to group T_a (a >= 1) and U_l (l >= 1) of its window; the groups are summed like buckets.
       */
      u32* cnt1 = cnt; /* first-level counts and starts are still needed: copy what we use into slots2 now */
      u32 *cnt2 = pos, *start2 = act; /* reuse: pos and act are free after sum_buckets */
      for (u32 x = 0; x < wn * GW; x++) cnt2[x] = 0;
      for (u32 k = 0; k < wn; k++) {
        const u32* c1 = cnt1 + k * (B + 1);
        const u32* s1 = start + k * (B + 1);
        u32* c2 = cnt2 + k * GW;
        for (u32 j = 1; j <= B; j++) {
          if (!c1[j] || G_(aff_is_inf)(slots + s1[j])) continue;
          const u32 a = j >> H, l = j & (L - 1);
          if (a) c2[a]++;
          if (l) c2[A + 1 + l]++;
        }
      }
      /* starts (into start2), then placement with a running position in the same array */
      acc = 0;
      for (u32 x = 0; x < wn * GW; x++) {
        start2[x] = acc;
        acc += cnt2[x];
      }
      for (u32 k = 0; k < wn; k++) {
        const u32* c1 = cnt1 + k * (B + 1);
        const u32* s1 = start + k * (B + 1);
        u32* p2 = start2 + k * GW;
        for (u32 j = 1; j <= B; j++) {
          if (!c1[j] || G_(aff_is_inf)(slots + s1[j])) continue;
          const u32 a = j >> H, l = j & (L - 1);
          if (a) COPY(&slots2[p2[a]++], &slots[s1[j]]);
          if (l) COPY(&slots2[p2[A + 1 + l]++], &slots[s1[j]]);
        }
      }
      /* start2 now holds the ends: turn back into starts; first-level arrays are free from here */
      u32* act2 = cnt1;
      u32 nact2 = 0;
      for (u32 x = 0; x < wn * GW; x++) {
        start2[x] -= cnt2[x];
        if (cnt2[x] >= 2) act2[nact2++] = x;
      }
      PROF_MARK(4);
      G_(sum_buckets)(slots2, start2, cnt2, act2, nact2, prod, den, kind);
      PROF_MARK(5);
      for (u32 k = 0; k < wn; k++) {
        G_(jac) rt, ru;
        G_(running_aff)(&rt, slots2, start2 + k * GW, cnt2 + k * GW, A);
        G_(running_aff)(&ru, slots2, start2 + k * GW + A + 1, cnt2 + k * GW + A + 1, L - 1);
        for (u32 t = 0; t < H; t++) G_(jac_dbl)(&rt, &rt);
        G_(jac_add)(wres + w0 + k, &rt, &ru);
      }
      PROF_MARK(6);
    }
  }
  G_(jac) acc;
  COPY(&acc, &wres[W - 1]);
  for (u32 w = W - 1; w-- > 0;) {
    for (u32 k = 0; k < pl.c; k++) G_(jac_dbl)(&acc, &acc);
    G_(jac_add)(&acc, &acc, wres + w);
  }
  G_(store)(out, &acc);
  return 1;
}
