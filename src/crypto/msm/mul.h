/*
 * Per-point work on one group, instantiated by msm.c after group.h (G1 over Fp, G2 over Fp2), with:
 *   SPLIT(struct half out[2], const u256* k)   the endomorphism decomposition (wide.h)
 *   ENDO(G_(aff)* r, const G_(aff)* p, const G_(consts)* c)   the endomorphism itself (φ on G1, ψ on G2)
 *   CURVE_B, ENDO_C1, ENDO_C2                  u64[4·degree] constants in .ptau form (b; β or ψ's γ1, γ2)
 *
 *  - apply_key: point i times s_i = first·inc^i mod r (the contribution step). Points go in batches of AK_BATCH;
 *    each point's odd multiples 1P..15P are built in affine coordinates with one shared inversion per step across
 *    the batch (Montgomery's trick), mapped by the endomorphism, and the two half-size scalars of the
 *    decomposition are run together (width-5 NAF, shared doublings, mixed Jacobian additions, every special case
 *    handled). The results are normalised with one more shared inversion. A point whose table meets a zero
 *    denominator (only possible off the curve) is multiplied the plain way instead.
 *  - check_points: every point not infinity, its coordinates canonical, then every point on the curve.
 * Results are the exact group operations, so the affine output is bit-identical to any other correct engine's.
 */

#define AK_BATCH 64
#define AK_TBL 8 /* odd multiples 1P, 3P, .., 15P */

typedef struct { F b, e1, e2; } G_(consts);

static void G_(load_consts)(G_(consts)* c) {
  F_(from_lem)(&c->b, (const u8*)CURVE_B);
  F_(from_lem)(&c->e1, (const u8*)ENDO_C1);
  F_(from_lem)(&c->e2, (const u8*)ENDO_C2);
}

/* one batch's working memory */
typedef struct {
  G_(aff) pt[AK_BATCH];
  G_(aff) two[AK_BATCH];
  G_(aff) tbl[AK_BATCH][2 * AK_TBL]; /* (2j+1)·P, then the endomorphism of each */
  G_(jac) acc[AK_BATCH];
  F den[AK_BATCH];
  fp nden[AK_BATCH], prod[AK_BATCH];
  u256 k[AK_BATCH];
  i8 dig[AK_BATCH][2][NAF_MAX];
  u8 len[AK_BATCH][2], neg[AK_BATCH][2];
  u8 skip[AK_BATCH]; /* 1: infinity (nothing to do), 2: plain multiplication */
  u8 zero[AK_BATCH];
} G_(akb);

/*
 * Inverts d[i] in place for every i with skip[i] == 0, with one field inversion; zero[i] = 1 where d[i] is zero
 * (that entry is then left meaningless).
 */
static void G_(batch_inverse)(F* d, u32 m, const u8* skip, u8* zero, fp* nden, fp* prod) {
  fp acc;
  COPY(&acc, &FP_ONE);
  for (u32 i = 0; i < m; i++) {
    zero[i] = 0;
    if (skip[i]) continue;
    DEN(&nden[i], &d[i]);
    if (fp_is_zero(&nden[i])) {
      zero[i] = 1;
      COPY(&nden[i], &FP_ONE);
    }
    COPY(&prod[i], &acc);
    fp_mul(&acc, &acc, &nden[i]);
  }
  fp inv;
  fp_inv(&inv, &acc);
  for (u32 i = m; i-- > 0;) {
    if (skip[i]) continue;
    fp di;
    fp_mul(&di, &inv, &prod[i]);
    fp_mul(&inv, &inv, &nden[i]);
    INV_WITH(&d[i], &d[i], &di);
  }
}

/* r = a + b in affine coordinates given dinv = 1/(b.x − a.x), or r = 2a given dinv = 1/(2·a.y) (a == b) */
INLINE void G_(aff_step)(G_(aff)* r, const G_(aff)* a, const G_(aff)* b, const F* dinv, int dbl) {
  F num, lam, t, x3;
  if (dbl) {
    F_(sqr)(&t, &a->x);
    F_(dbl)(&num, &t);
    F_(add)(&num, &num, &t);
  } else {
    F_(sub)(&num, &b->y, &a->y);
  }
  F_(mul)(&lam, &num, dinv);
  F_(sqr)(&t, &lam);
  F_(sub)(&t, &t, &a->x);
  F_(sub)(&x3, &t, &b->x);
  F_(sub)(&t, &a->x, &x3);
  F_(mul)(&t, &lam, &t);
  F_(sub)(&r->y, &t, &a->y);
  COPY(&r->x, &x3);
}

/* [k]P for any point on the curve, k little-endian of kb bytes: NAF double-and-add */
static void G_(mul_plain)(G_(jac)* r, const G_(aff)* p, const u8* k, u32 kb) {
  i8 naf[8 * 32 + 1];
  naf_digits(k, kb, naf);
  G_(jac_set_inf)(r);
  int started = 0;
  for (u32 b = 8 * kb + 1; b-- > 0;) {
    if (started) G_(jac_dbl)(r, r);
    if (!naf[b] || G_(aff_is_inf)(p)) continue;
    G_(aff) e;
    G_(put)(&e, p, naf[b]);
    G_(jac_madd)(r, r, &e);
    started = 1;
  }
}

/* the odd multiples of every point of the batch and their endomorphism images */
static void G_(ak_tables)(G_(akb)* w, u32 m, const G_(consts)* c) {
  for (u32 i = 0; i < m; i++) {
    if (w->skip[i]) continue;
    COPY(&w->tbl[i][0], &w->pt[i]);
    F_(dbl)(&w->den[i], &w->pt[i].y);
  }
  G_(batch_inverse)(w->den, m, w->skip, w->zero, w->nden, w->prod);
  for (u32 i = 0; i < m; i++) {
    if (w->skip[i]) continue;
    if (w->zero[i]) w->skip[i] = 2;
    else G_(aff_step)(&w->two[i], &w->pt[i], &w->pt[i], &w->den[i], 1);
  }
  for (u32 j = 1; j < AK_TBL; j++) {
    for (u32 i = 0; i < m; i++) {
      if (!w->skip[i]) F_(sub)(&w->den[i], &w->two[i].x, &w->tbl[i][j - 1].x);
    }
    G_(batch_inverse)(w->den, m, w->skip, w->zero, w->nden, w->prod);
    for (u32 i = 0; i < m; i++) {
      if (w->skip[i]) continue;
      if (w->zero[i]) w->skip[i] = 2;
      else G_(aff_step)(&w->tbl[i][j], &w->tbl[i][j - 1], &w->two[i], &w->den[i], 0);
    }
  }
  for (u32 i = 0; i < m; i++) {
    if (w->skip[i]) continue;
    for (u32 j = 0; j < AK_TBL; j++) ENDO(&w->tbl[i][AK_TBL + j], &w->tbl[i][j], c);
  }
}

/* the two half-size scalars run together over the point's tables */
static void G_(ak_run)(G_(jac)* acc, const G_(aff)* tbl, const i8 dig[2][NAF_MAX], const u8 len[2], const u8 neg[2]) {
  G_(jac_set_inf)(acc);
  const u32 L = len[0] > len[1] ? len[0] : len[1];
  int started = 0;
  for (u32 b = L; b-- > 0;) {
    if (started) G_(jac_dbl)(acc, acc);
    for (u32 part = 0; part < 2; part++) {
      const i32 d = b < len[part] ? dig[part][b] : 0;
      if (!d) continue;
      const i32 mag = d < 0 ? -d : d;
      const i32 sgn = (d < 0) != (neg[part] != 0) ? -1 : 1;
      G_(aff) e;
      G_(put)(&e, &tbl[part * AK_TBL + (mag - 1) / 2], sgn);
      G_(jac_madd)(acc, acc, &e);
      started = 1;
    }
  }
}

/* writes the batch's results, normalised with one shared inversion */
static void G_(ak_store)(G_(akb)* w, u32 m, u8* out) {
  for (u32 i = 0; i < m; i++) {
    if (w->skip[i] == 1 || G_(jac_is_inf)(&w->acc[i])) {
      w->zero[i] = 1; /* reused as "infinity" below */
      continue;
    }
    w->zero[i] = 0;
    COPY(&w->den[i], &w->acc[i].z);
  }
  u8 inf[AK_BATCH], unused[AK_BATCH];
  for (u32 i = 0; i < m; i++) inf[i] = w->zero[i];
  G_(batch_inverse)(w->den, m, inf, unused, w->nden, w->prod);
  for (u32 i = 0; i < m; i++) {
    u8* o = out + (u64)i * PT_BYTES;
    if (inf[i]) {
      for (u32 b = 0; b < PT_BYTES; b++) o[b] = 0;
      continue;
    }
    F zi2, x, y;
    F_(sqr)(&zi2, &w->den[i]);
    F_(mul)(&x, &w->acc[i].x, &zi2);
    F_(mul)(&zi2, &zi2, &w->den[i]);
    F_(mul)(&y, &w->acc[i].y, &zi2);
    F_(to_lem)(o, &x);
    F_(to_lem)(o + PT_BYTES / 2, &y);
  }
}

/*
 * Point i of `in` (n points, .ptau encoding) times first·inc^(offset + i) mod r into `out` (offset: where a slice
 * starts in its section). 0 when memory could not be had.
 */
COLD u32 G_(apply_key)(struct heap* h, const u8* in, u8* out, u32 n, const u8* first, const u8* inc, u32 offset) {
  G_(akb)* w = (G_(akb)*)halloc(h, sizeof(G_(akb)));
  if (!heap_ok(h)) return 0;
  if (h->dry) return 1;
  G_(consts) c;
  G_(load_consts)(&c);
  /* s = first mod r (normal form), step = inc·2^256 mod r, so that fr_mul(s, step) = s·inc mod r */
  u256 s, step, t;
  const u64 one[4] = {1, 0, 0, 0};
  __builtin_memcpy(&t, first, 32);
  fr_mul(&s, &t, FR_R2);
  fr_mul(&s, &s, one);
  __builtin_memcpy(&t, inc, 32);
  fr_mul(&step, &t, FR_R2);
  fr_times_pow(&s, &step, offset);
  for (u32 base = 0; base < n; base += AK_BATCH) {
    const u32 m = n - base < AK_BATCH ? n - base : AK_BATCH;
    for (u32 i = 0; i < m; i++) {
      G_(load)(&w->pt[i], in + (u64)(base + i) * PT_BYTES);
      w->k[i] = s;
      fr_mul(&s, &s, step.v);
      w->skip[i] = G_(aff_is_inf)(&w->pt[i]) ? 1 : 0;
      struct half hv[2];
      SPLIT(hv, &w->k[i]);
      for (u32 p = 0; p < 2; p++) {
        w->len[i][p] = (u8)wnaf5(&hv[p], w->dig[i][p]);
        w->neg[i][p] = (u8)hv[p].neg;
      }
    }
    G_(ak_tables)(w, m, &c);
    for (u32 i = 0; i < m; i++) {
      if (w->skip[i] == 0) G_(ak_run)(&w->acc[i], w->tbl[i], (const i8(*)[NAF_MAX])w->dig[i], w->len[i], w->neg[i]);
      else if (w->skip[i] == 2) G_(mul_plain)(&w->acc[i], &w->pt[i], (const u8*)w->k[i].v, 32);
    }
    G_(ak_store)(w, m, out + (u64)base * PT_BYTES);
  }
  return 1;
}

/*
 * n points (.ptau encoding) to their uncompressed big-endian form, what snarkjs hashes: infinity stays all zeros,
 * else x then y, each the big-endian bytes of its value (an Fp2 coordinate: c1 then c0).
 */
COLD void G_(to_uncompressed)(const u8* in, u8* out, u32 n) {
  for (u32 i = 0; i < n; i++) {
    G_(aff) a;
    G_(load)(&a, in + (u64)i * PT_BYTES);
    u8* o = out + (u64)i * PT_BYTES;
    if (G_(aff_is_inf)(&a)) {
      for (u32 b = 0; b < PT_BYTES; b++) o[b] = 0;
      continue;
    }
    F_(to_be)(o, &a.x);
    F_(to_be)(o + PT_BYTES / 2, &a.y);
  }
}

/* whether the 32-byte little-endian coordinate at p is below q */
INLINE int G_(coord_canonical)(const u8* p) {
  u64 v[4];
  __builtin_memcpy(v, p, 32);
  for (int j = 3; j >= 0; j--) {
    if (v[j] < FQ64[j]) return 1;
    if (v[j] > FQ64[j]) return 0;
  }
  return 0;
}

/*
 * The first fault among n points: infinity (1) or a non-canonical coordinate (2) over all points first, then a
 * point off the curve (3); as index·4 + fault, or −1 when every point is valid.
 */
COLD i64 G_(check_points)(const u8* pts, u32 n) {
  for (u32 i = 0; i < n; i++) {
    const u8* p = pts + (u64)i * PT_BYTES;
    u32 nz = 0;
    for (u32 b = 0; b < PT_BYTES; b++) nz |= p[b];
    if (!nz) return (i64)i * 4 + 1;
    for (u32 o = 0; o < PT_BYTES; o += 32) {
      if (!G_(coord_canonical)(p + o)) return (i64)i * 4 + 2;
    }
  }
  G_(consts) c;
  G_(load_consts)(&c);
  for (u32 i = 0; i < n; i++) {
    G_(aff) a;
    G_(load)(&a, pts + (u64)i * PT_BYTES);
    F lhs, rhs;
    F_(sqr)(&lhs, &a.y);
    F_(sqr)(&rhs, &a.x);
    F_(mul)(&rhs, &rhs, &a.x);
    F_(add)(&rhs, &rhs, &c.b);
    F_(canon)(&lhs, &lhs);
    F_(canon)(&rhs, &rhs);
    if (!F_(eq)(&lhs, &rhs)) return (i64)i * 4 + 3;
  }
  return -1;
}
