/*
 * Multi-scalar multiplication on BN254 G1 and G2 for wasm32 (freestanding: no libc, one linear memory).
 * Build: scripts/build-msm-wasm.sh (clang + wasm-ld). Driven by index.ts:
 *   p = msm_input(group, n, scalarBytes)   resets the heap, makes room for the inputs: points at p, scalars at
 *                                          p + n·pointBytes (0: out of memory)
 *   o = msm_run(group, n, scalarBytes)     the affine .ptau encoding of Σ s_i·P_i at o (0: out of memory)
 * group: 1 = G1 (64-byte points), 2 = G2 (128-byte points). Scalars: little-endian, scalarBytes each, taken as
 * plain integers (no reduction modulo r), as ffjavascript's multiExpAffine does.
 */
#if defined(__wasm__)
#include "field.h"
#else
#include "field64.h"
#endif
#include "fp2.h"

/* how the two points of a pair are summed */
enum { K_ADD = 0, K_DBL = 1, K_INF = 2, K_FIRST = 3, K_SECOND = 4 };

#include "heap.h"

#include "plan.h"

#include "constants.h"

#include "wide.h"

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
#define SPLIT(out, k) glv_split((out), (k))
#define ENDO(r, p, c)                    \
  do {                                   \
    F_(mul)(&(r)->x, &(p)->x, &(c)->e1); \
    COPY(&(r)->y, &(p)->y);              \
  } while (0)
#define CURVE_B G1_B
#define ENDO_C1 G1_BETA
#define ENDO_C2 G1_BETA
#include "mul.h"
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
#undef SPLIT
#undef ENDO
#undef CURVE_B
#undef ENDO_C1
#undef ENDO_C2

/* ---- G2 over Fp2 ---- */
static const fp2 FP2_ONE = {FP_ONE_INIT, {{0}}};
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
/* conj(a)·g */
INLINE void fp2_conj_mul(fp2* r, const fp2* a, const fp2* g) {
  fp2 t;
  COPY(&t.c0, &a->c0);
  fp_neg(&t.c1, &a->c1);
  fp2_mul(r, &t, g);
}
#define SPLIT(out, k) gls_split((out), (k))
#define ENDO(r, p, c)                           \
  do {                                          \
    fp2_conj_mul(&(r)->x, &(p)->x, &(c)->e1);   \
    fp2_conj_mul(&(r)->y, &(p)->y, &(c)->e2);   \
  } while (0)
#define CURVE_B G2_B
#define ENDO_C1 G2_GAMMA1
#define ENDO_C2 G2_GAMMA2
#include "mul.h"

/* ψ on Jacobian coordinates: (conj(X)·γ1, conj(Y)·γ2, conj(Z)), as x = X/Z² and y = Y/Z³ map to conj(x)·γ1, conj(y)·γ2 */
static void g2_psi_jac(g2_jac* r, const g2_jac* p, const g2_consts* c) {
  fp2_conj_mul(&r->x, &p->x, &c->e1);
  fp2_conj_mul(&r->y, &p->y, &c->e2);
  COPY(&r->z.c0, &p->z.c0);
  fp_neg(&r->z.c1, &p->z.c1);
}

/*
 * Whether a G2 point on the curve lies in the prime-order subgroup, by the test for BN curves of El Housni, Guillevic
 * and Piellard (eprint 2022/348, §3 and §5.1; gnark-crypto's for BN254): Q ∈ G2 ⟺ [x+1]Q + ψ([x]Q) + ψ²([x]Q) =
 * ψ³([2x]Q), with x the curve's 63-bit parameter: one short multiplication instead of [r]Q. The tests hold it to mcl's
 * check on members, random twist points and points of order 10069.
 */
static u32 g2_in_g2(const u8* pt) {
  static const u8 X_LE[8] = {0xf1, 0x09, 0x69, 0x4a, 0xb4, 0x92, 0xe9, 0x44}; /* x = 4965661367192848881 */
  g2_aff a;
  g2_load(&a, pt);
  if (g2_aff_is_inf(&a)) return 1;
  g2_consts c;
  g2_load_consts(&c);
  g2_jac xq, lhs, rhs, t;
  g2_mul_plain(&xq, &a, X_LE, 8);
  g2_jac_madd(&lhs, &xq, &a);
  g2_psi_jac(&t, &xq, &c);
  g2_jac_add(&lhs, &lhs, &t);
  g2_psi_jac(&t, &t, &c);
  g2_jac_add(&lhs, &lhs, &t);
  g2_jac_dbl(&rhs, &xq);
  for (int i = 0; i < 3; i++) g2_psi_jac(&rhs, &rhs, &c);
  fp2_neg(&rhs.y, &rhs.y);
  g2_jac_add(&t, &lhs, &rhs);
  return (u32)g2_jac_is_inf(&t);
}

#include "pairing.h"

/* ---- exports ---- */

static u32 run_msm(struct heap* h, u32 group, const u8* pts, const u8* sc, u32 n, u32 sb, u8* out) {
  if (n == 0 || sb == 0) {
    if (!h->dry) for (u32 i = 0; i < 128; i++) out[i] = 0;
    return 1;
  }
  return group == 1 ? g1_msm(h, pts, sc, n, sb, out) : g2_msm(h, pts, sc, n, sb, out);
}

static u32 run_apply_key(struct heap* h, u32 group, const u8* in, u8* out, u32 n, const u8* first, const u8* inc, u32 offset) {
  return group == 1 ? g1_apply_key(h, in, out, n, first, inc, offset) : g2_apply_key(h, in, out, n, first, inc, offset);
}

static i64 run_check_points(u32 group, const u8* pts, u32 n) {
  return group == 1 ? g1_check_points(pts, n) : g2_check_points(pts, n);
}

static void run_to_uncompressed(u32 group, const u8* in, u8* out, u32 n) {
  if (group == 1) g1_to_uncompressed(in, out, n);
  else g2_to_uncompressed(in, out, n);
}

#if defined(__wasm__)
/*
 * wasm: the caller writes inputs into the linear memory. reserve(bytes) resets the heap and returns room for
 * them; the run functions take scratch from the heap after it and return the output's address (0: no memory).
 */
extern unsigned char __heap_base;
static struct heap wasm_heap;

static u32 pt_bytes(u32 group) { return group == 1 ? 64 : 128; }

__attribute__((export_name("reserve"))) u32 reserve(u32 bytes) {
  const struct heap h = {((u64)(uintptr_t)&__heap_base + 63u) & ~63ull, 0xfff00000ull, 0, 0, 1};
  wasm_heap = h;
  void* p = halloc(&wasm_heap, bytes);
  return heap_ok(&wasm_heap) ? (u32)(uintptr_t)p : 0;
}

static u8* input_ptr;

__attribute__((export_name("msm_input"))) u32 msm_input(u32 group, u32 n, u32 sb) {
  const u32 p = reserve(n * pt_bytes(group) + n * sb);
  input_ptr = (u8*)(uintptr_t)p;
  return p;
}

__attribute__((export_name("msm_run"))) u32 msm_run(u32 group, u32 n, u32 sb) {
  u8* out = (u8*)halloc(&wasm_heap, 128);
  if (!heap_ok(&wasm_heap)) return 0;
  return run_msm(&wasm_heap, group, input_ptr, input_ptr + (u64)n * pt_bytes(group), n, sb, out) ? (u32)(uintptr_t)out : 0;
}

/* points at `in`, then first and inc (32 bytes each) */
__attribute__((export_name("apply_key_run"))) u32 apply_key_run(u32 group, u32 n, u32 in, u32 offset) {
  const u8* pts = (const u8*)(uintptr_t)in;
  const u8* first = pts + (u64)n * pt_bytes(group);
  u8* out = (u8*)halloc(&wasm_heap, (u64)n * pt_bytes(group));
  if (!heap_ok(&wasm_heap)) return 0;
  return run_apply_key(&wasm_heap, group, pts, out, n, first, first + 32, offset) ? (u32)(uintptr_t)out : 0;
}

__attribute__((export_name("check_points_run"))) i64 check_points_run(u32 group, u32 n, u32 in) {
  return run_check_points(group, (const u8*)(uintptr_t)in, n);
}

__attribute__((export_name("g2_in_subgroup_run"))) u32 g2_in_subgroup_run(u32 in) { return g2_in_g2((const u8*)(uintptr_t)in); }

/* n points at `in`; the address of their uncompressed forms */
__attribute__((export_name("to_uncompressed_run"))) u32 to_uncompressed_run(u32 group, u32 n, u32 in) {
  u8* out = (u8*)halloc(&wasm_heap, (u64)n * pt_bytes(group));
  if (!heap_ok(&wasm_heap)) return 0;
  run_to_uncompressed(group, (const u8*)(uintptr_t)in, out, n);
  return (u32)(uintptr_t)out;
}

/* n G1 points at `in`, then n G2 points */
__attribute__((export_name("pairing_run"))) u32 pairing_run(u32 n, u32 in) {
  const u8* g1 = (const u8*)(uintptr_t)in;
  return pairing_is_one(g1, g1 + 64 * (u64)n, n);
}
#else
/*
 * Native (loaded through bun:ffi): pointers to the caller's buffers, scratch included; nothing is allocated and
 * nothing global is written, so every thread may call at once. *_scratch gives the scratch a call needs.
 */
#define EXPORT __attribute__((visibility("default")))

EXPORT u64 ptau_msm_scratch(u32 group, u32 n, u32 sb) {
  struct heap h = heap_dry();
  u8 out[128];
  run_msm(&h, group, 0, 0, n, sb, out);
  return HEAP_DRY_BYTES(h);
}

EXPORT u32 ptau_msm(u32 group, u32 n, u32 sb, const u8* pts, const u8* sc, u8* out, u8* scratch, u64 scratch_bytes) {
  struct heap h = heap_over(scratch, scratch_bytes);
  return run_msm(&h, group, pts, sc, n, sb, out);
}

EXPORT u64 ptau_apply_key_scratch(u32 group) {
  struct heap h = heap_dry();
  run_apply_key(&h, group, 0, 0, 1, 0, 0, 0);
  return HEAP_DRY_BYTES(h);
}

EXPORT u32 ptau_apply_key(u32 group, u32 n, const u8* in, u8* out, const u8* first, const u8* inc, u32 offset, u8* scratch, u64 scratch_bytes) {
  struct heap h = heap_over(scratch, scratch_bytes);
  return run_apply_key(&h, group, in, out, n, first, inc, offset);
}

EXPORT i64 ptau_check_points(u32 group, u32 n, const u8* pts) { return run_check_points(group, pts, n); }

EXPORT u32 ptau_g2_in_subgroup(const u8* pt) { return g2_in_g2(pt); }

EXPORT u32 ptau_pairing_is_one(u32 n, const u8* g1, const u8* g2) { return pairing_is_one(g1, g2, n); }

EXPORT void ptau_to_uncompressed(u32 group, u32 n, const u8* in, u8* out) { run_to_uncompressed(group, in, out, n); }
#endif

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
