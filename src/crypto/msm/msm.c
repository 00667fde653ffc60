/*
 * Multi-scalar multiplication on BN254 G1 and G2 for wasm32 (freestanding: no libc, one linear memory).
 * Build: scripts/build-msm-wasm.sh (clang + wasm-ld). Driven by index.ts:
 *   p = msm_input(group, n, scalarBytes)   resets the heap, makes room for the inputs: points at p, scalars at
 *                                          p + n·pointBytes (0: out of memory)
 *   o = msm_run(group, n, scalarBytes)     the affine .ptau encoding of Σ s_i·P_i at o (0: out of memory)
 * group: 1 = G1 (64-byte points), 2 = G2 (128-byte points). Scalars: little-endian, scalarBytes each, taken as
 * plain integers (no reduction modulo r), as ffjavascript's multiExpAffine does.
 */
#include "field.h"

#define INF_MARK 0xffffffffu

/* how the two points of a pair are summed */
enum { K_ADD = 0, K_DBL = 1, K_INF = 2, K_FIRST = 3, K_SECOND = 4 };

/* ---- heap: a bump allocator over the linear memory, reset by every call ---- */

extern unsigned char __heap_base;
static u32 heap_ptr;
static u32 heap_fail;

static void heap_reset(void) {
  heap_ptr = ((u32)(uintptr_t)&__heap_base + 63u) & ~63u;
  heap_fail = 0;
}

static void* halloc(u64 bytes) {
  const u64 p = ((u64)heap_ptr + 63u) & ~(u64)63u;
  const u64 end = p + bytes;
  if (heap_fail || end > 0xfff00000ull) {
    heap_fail = 1;
    return (void*)0;
  }
  const u64 have = (u64)__builtin_wasm_memory_size(0) << 16;
  if (end > have) {
    const u64 pages = (end - have + 65535u) >> 16;
    if (__builtin_wasm_memory_grow(0, (unsigned long)pages) == (unsigned long)-1) {
      heap_fail = 1;
      return (void*)0;
    }
  }
  heap_ptr = (u32)end;
  return (void*)(uintptr_t)p;
}

static int heap_ok(void) { return !heap_fail; }

/* The compiler may emit calls to these (zeroing loops, copies); hot copies use COPY (field.h) instead. */
void* memcpy(void* dst, const void* src, unsigned long n) {
  u8* d = (u8*)dst;
  const u8* s = (const u8*)src;
  if ((((uintptr_t)d | (uintptr_t)s | n) & 3) == 0) {
    u32* dw = (u32*)dst;
    const u32* sw = (const u32*)src;
    for (unsigned long i = 0; i < n / 4; i++) dw[i] = sw[i];
  } else {
    for (unsigned long i = 0; i < n; i++) d[i] = s[i];
  }
  return dst;
}
void* memset(void* dst, int v, unsigned long n) {
  u8* d = (u8*)dst;
  while (n && ((uintptr_t)d & 3)) {
    *d++ = (u8)v;
    n--;
  }
  const u32 w = 0x01010101u * (u8)v;
  u32* dw = (u32*)d;
  for (; n >= 4; n -= 4) *dw++ = w;
  d = (u8*)dw;
  while (n--) *d++ = (u8)v;
  return dst;
}

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

/* ---- G1 over Fp ---- */
#define F fp
#define F_(op) fp_##op
#define G_(name) g1_##name
#define F_ONE FP_ONE
#define F_ZERO_V FP_ZERO
#define INF_LIMB v[NL - 1]
#define PT_BYTES 64
#define DEN(den, d) COPY((den), (d))
#define INV_WITH(r, d, di) COPY((r), (di))
#define COST_BATCH_ADD 7.0
#ifndef CHUNK1
#define CHUNK1 8192
#endif
#define CHUNK_SLOTS CHUNK1
#define COST_MADD 12.0
#define COST_DBL 8.0
#define COST_GATHER 0.8
#define COST_ADD 17.0
#include "group.h"
#undef F
#undef F_
#undef G_
#undef F_ONE
#undef F_ZERO_V
#undef INF_LIMB
#undef PT_BYTES
#undef DEN
#undef INV_WITH
#undef COST_BATCH_ADD
#undef CHUNK_SLOTS
#undef COST_MADD
#undef COST_DBL
#undef COST_GATHER
#undef COST_ADD

/* ---- G2 over Fp2 ---- */
static const fp2 FP2_ONE = {{{0x157ccc21, 0x141c2758, 0x185230d3, 0x14c0419, 0xaa36fb9, 0x1d4240ce, 0x11d54c07, 0x52ac7a8, 0xdc836}}, {{0}}};
static const fp2 FP2_ZERO = {{{0}}, {{0}}};
#define F fp2
#define F_(op) fp2_##op
#define G_(name) g2_##name
#define F_ONE FP2_ONE
#define F_ZERO_V FP2_ZERO
#define INF_LIMB c0.v[NL - 1]
#define PT_BYTES 128
#define DEN(den, d) fp2_norm((den), (d))
#define INV_WITH(r, d, di) fp2_inv_with((r), (d), (di))
#define COST_BATCH_ADD 17.0
#ifndef CHUNK2
#define CHUNK2 4096
#endif
#define CHUNK_SLOTS CHUNK2
#define COST_MADD 34.0
#define COST_DBL 22.0
#define COST_GATHER 1.2
#define COST_ADD 48.0
#include "group.h"

/* ---- exports ---- */

static u8* input_ptr;

__attribute__((export_name("msm_input"))) u32 msm_input(u32 group, u32 n, u32 sb) {
  heap_reset();
  const u64 size = group == 1 ? 64 : 128;
  input_ptr = (u8*)halloc((u64)n * size + (u64)n * sb);
  return heap_ok() ? (u32)(uintptr_t)input_ptr : 0;
}

__attribute__((export_name("msm_run"))) u32 msm_run(u32 group, u32 n, u32 sb) {
  const u64 size = group == 1 ? 64 : 128;
  u8* out = (u8*)halloc(128);
  if (!heap_ok()) return 0;
  if (n == 0 || sb == 0) {
    for (u32 i = 0; i < 128; i++) out[i] = 0;
    return (u32)(uintptr_t)out;
  }
  const u8* sc = input_ptr + (u64)n * size;
  const u32 ok = group == 1 ? g1_msm(input_ptr, sc, n, sb, out) : g2_msm(input_ptr, sc, n, sb, out);
  return ok ? (u32)(uintptr_t)out : 0;
}

#ifdef MSM_DEBUG
__attribute__((export_name("dbg_force"))) void dbg_force(u32 c, u32 sign, u32 mode) {
  force_c = c;
  force_sign = sign;
  force_mode = mode;
}
__attribute__((export_name("dbg_plan"))) u32 dbg_plan(u32 n, u32 bits, u32 group) {
  struct plan pl;
  make_plan(&pl, n, bits, group == 1 ? &g1_costs : &g2_costs);
  return pl.c | (pl.windows << 8) | (pl.sign << 16) | (pl.batch << 17) | (pl.second << 18) | (pl.h << 19) | (pl.straus << 23) | (pl.per_pass << 24);
}
__attribute__((export_name("dbg_mul"))) u32 dbg_mul(u32 iters) {
  fp x = FP_C_OUT, y = FP_ONE;
  for (u32 i = 0; i < iters; i++) fp_mul(&x, &x, &y);
  return x.v[0];
}
__attribute__((export_name("dbg_sqr"))) u32 dbg_sqr(u32 iters) {
  fp x = FP_C_OUT;
  for (u32 i = 0; i < iters; i++) fp_sqr(&x, &x);
  return x.v[0];
}
__attribute__((export_name("dbg_inv"))) u32 dbg_inv(u32 iters) {
  fp x = FP_C_OUT;
  for (u32 i = 0; i < iters; i++) fp_inv(&x, &x);
  return x.v[0];
}
#endif
