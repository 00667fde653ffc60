/*
 * The multi-exponentiation's plan: window size, signed digits and bucket mode chosen by a cost model, and the
 * tuning build's profiling hooks. Included by msm.c once, before the groups.
 */

/* ---- plan: window size, signed digits, bucket mode ---- */

struct plan {
  u32 c;        /* window bits */
  u32 windows;  /* number of windows */
  u32 buckets;  /* bucket indices 1..buckets */
  u32 sign;     /* signed digits (all windows but the top one) */
  u32 batch;    /* batch-affine bucket sums; else Jacobian buckets */
  u32 per_pass; /* batch mode: windows whose buckets are summed together (they share the inversions) */
  u32 second;   /* batch mode: bucket sums combined by a second batch-affine level (split at bit h) */
  u32 h;
  u32 straus;   /* few points: no buckets, shared doublings and one mixed addition per nonzero NAF digit */
};

struct costs {
  double batch_add, madd, add, dbl; /* in Fp multiplications */
  double gather;               /* copying a point into its bucket */
  double chunk;                /* slots summed together (CHUNK_SLOTS) */
};

#define COST_INV 330.0     /* one Fp inversion (in Fp multiplications), plus a round's fixed costs */
#define PASS_SLOTS (1u << 16) /* batch mode: at most this many bucket slots per pass (memory) */

static double log2_ceil(double x) {
  double r = 0, v = 1;
  while (v < x) {
    v *= 2;
    r += 1;
  }
  return r;
}

/* expected number of nonempty buckets when m digits fall uniformly into B buckets */
static double nonempty(double m, double B) {
  /* 1 − (1 − 1/B)^m, by e^(−m/B) */
  const double x = m / B;
  double e;
  if (x > 40) e = 0;
  else {
    /* e^−x = (e^(−x/64))^64, with a 4-term series for the small exponent */
    const double y = x / 64;
    e = 1 - y + y * y / 2 - y * y * y / 6;
    for (int i = 0; i < 6; i++) e *= e;
  }
  return B * (1 - e);
}

#ifdef MSM_DEBUG
static u32 force_c, force_sign, force_mode; /* mode: 1 direct, 2 batch, 3 batch + second level */
#endif

/* Estimated costs of one window with B buckets for the three bucket modes (see make_plan). */
static void window_costs(double out[3], double nd, double Bd, u32 c, u32 wg, const struct costs* k) {
  const double used = nonempty(nd, Bd);
  /* running sums: one addition per nonempty bucket, one per bucket below the highest nonempty one */
  const double below = Bd * nd / (nd + 1.0);
  out[0] = nd * k->madd + used * k->add + below * k->add;
  const double occ = nd / Bd;
  const double rounds = log2_ceil(occ + 3.0 * __builtin_sqrt(occ) + 2.0);
  double chunks = nd / k->chunk;
  if (chunks < 1.0 / wg) chunks = 1.0 / wg;
  const double first = (nd - used) * k->batch_add + nd * k->gather + rounds * chunks * COST_INV;
  out[1] = first + used * k->madd + below * k->add;
  out[2] = 1e300;
  if (c >= 5) {
    const u32 h = (c - 1) / 2;
    const double L = (double)(1u << h), A = Bd / L + 1;
    double chunks2 = 2 * used / k->chunk;
    if (chunks2 < 1.0 / wg) chunks2 = 1.0 / wg;
    out[2] = first + (2 * used - nonempty(used, A) - nonempty(used, L)) * k->batch_add + 2 * used * k->gather +
             (h + 2) * chunks2 * COST_INV + (A + L) * (k->madd + k->add) + h * k->add;
  }
}

/* The cheapest plan by the cost model: Straus for a few points, else window bits c, signed or not, bucket mode. */
static void make_plan(struct plan* pl, u32 n, u32 bits, const struct costs* k) {
  const double nd = (double)n;
  double best = bits * k->dbl + nd * (bits / 3.0 + 1.0) * k->madd;
  *pl = (struct plan){1, 1, 1, 0, 0, 1, 0, 0, 1};
#ifdef MSM_DEBUG
  if (force_c) best = 1e301;
#endif
  for (u32 c = 1; c <= 22; c++) {
    for (u32 sign = 0; sign <= 1; sign++) {
#ifdef MSM_DEBUG
      if (force_c && (c != force_c || sign != force_sign)) continue;
#endif
      /* signed: windows cover bits + 1 bits (the recoding's carry); the top window's digits are in [0, 2^rem] */
      const u32 w = sign ? (bits + c) / c : (bits + c - 1) / c;
      if (w == 0 || w > 512) continue;
      const u32 B = sign ? (1u << (c - 1)) : ((1u << c) - 1);
      const u32 rem = bits - (w - 1) * c;
      const u32 Btop = sign ? (1u << rem) : ((1u << rem) - 1);
      u32 wg = PASS_SLOTS / (n ? n : 1);
      if (wg < 1) wg = 1;
      if (wg > w) wg = w;
      double cw[3], ct[3];
      window_costs(cw, nd, (double)B, c, wg, k);
      window_costs(ct, nd, (double)(Btop ? Btop : 1), c, wg, k);
      const double horner = (w - 1) * (c * k->dbl + k->add);
      for (u32 mode = 0; mode < 3; mode++) {
        double cost = (w - 1) * cw[mode] + ct[mode] + horner;
#ifdef MSM_DEBUG
        if (force_mode && force_mode != mode + 1) cost = 1e301;
#endif
        if (cost < best) {
          best = cost;
          *pl = (struct plan){c, w, B, sign, mode > 0, wg, mode == 2, mode == 2 ? (c - 1) / 2 : 0, 0};
        }
      }
    }
  }
}

/* NAF digits of the little-endian scalar s (sb bytes), least significant first: 8·sb + 1 of them */
static void naf_digits(const u8* s, u32 sb, i8* out) {
  const u32 bits = sb * 8;
  u32 carry = 0;
  for (u32 i = 0; i < bits; i++) {
    const u32 b = ((s[i >> 3] >> (i & 7)) & 1) + carry;
    const u32 next = i + 1 < bits ? (s[(i + 1) >> 3] >> ((i + 1) & 7)) & 1 : 0;
    if (b == 1) {
      out[i] = next ? -1 : 1;
      carry = next;
    } else {
      out[i] = 0;
      carry = b >> 1;
    }
  }
  out[bits] = (i8)carry;
}

/* c (<= 24) bits of the little-endian scalar s (sb bytes) from bit off; zeros past its end */
static inline u32 get_bits(const u8* s, u32 sb, u32 off, u32 c) {
  const u32 byte = off >> 3;
  if (byte >= sb) return 0;
  u32 v = 0;
  for (u32 k = 0; k < 4 && byte + k < sb; k++) v |= (u32)s[byte + k] << (8 * k);
  return (v >> (off & 7)) & ((1u << c) - 1);
}

/* digits of window w for every scalar; carry holds the signed recoding's carries between windows */
static void window_digits(const struct plan* pl, u32 w, const u8* sc, u32 n, u32 sb, u8* carry, i32* dig) {
  const u32 c = pl->c, off = w * c;
  const u32 full = 1u << c, half = full >> 1;
  const u32 recode = pl->sign && w + 1 < pl->windows;
  for (u32 i = 0; i < n; i++) {
    const u32 raw = get_bits(sc + (u64)i * sb, sb, off, c) + carry[i];
    if (recode && raw > half) {
      dig[i] = (i32)raw - (i32)full;
      carry[i] = 1;
    } else {
      dig[i] = (i32)raw;
      carry[i] = 0;
    }
  }
}

/*
 * Tuning build (not the shipped one): -DMSM_DEBUG -Wl,--allow-undefined adds the import env.now() (a clock in ms)
 * and exports dbg_prof (time per phase, see PROF_MARK in group.h), dbg_plan, dbg_force (a fixed plan) and
 * micro-benchmarks of the field operations.
 */
#ifdef MSM_DEBUG
__attribute__((import_name("now"))) double now(void);
static double prof_t[8], prof_last;
static int prof_cur = -1;
#define PROF_MARK(k)                                          \
  do {                                                        \
    const double t_ = now();                                  \
    if (prof_cur >= 0) prof_t[prof_cur] += t_ - prof_last;    \
    prof_cur = (k);                                           \
    prof_last = t_;                                           \
  } while (0)
__attribute__((export_name("dbg_prof"))) double dbg_prof(u32 k) { const double v = prof_t[k]; prof_t[k] = 0; prof_cur = -1; return v; }
#else
#define PROF_MARK(k) ((void)0)
#endif
