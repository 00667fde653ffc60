/*
 * Scratch memory for one call: a bump allocator over a region, reset by every call. In wasm the region is the
 * linear memory after __heap_base, grown on demand; natively it is a buffer the caller passes (the library
 * allocates nothing itself, so it needs no libc and is safe to call from several threads at once). A dry heap
 * hands out no memory and only measures what a call would take (the native *_scratch functions).
 */
#ifndef MSM_HEAP_H
#define MSM_HEAP_H

struct heap {
  u64 ptr, end; /* next free byte, end of the region */
  u32 fail;     /* an allocation did not fit */
  u32 dry;      /* only measure */
  u32 grow;     /* wasm: grow the linear memory to fit */
};

static void* halloc(struct heap* h, u64 bytes) {
  const u64 p = (h->ptr + 63u) & ~(u64)63u;
  const u64 end = p + bytes;
  if (h->fail || end > h->end || end < p) {
    h->fail = 1;
    return (void*)0;
  }
#if defined(__wasm__)
  if (h->grow) {
    const u64 have = (u64)__builtin_wasm_memory_size(0) << 16;
    if (end > have) {
      const u64 pages = (end - have + 65535u) >> 16;
      if (__builtin_wasm_memory_grow(0, (unsigned long)pages) == (unsigned long)-1) {
        h->fail = 1;
        return (void*)0;
      }
    }
  }
#endif
  h->ptr = end;
  return (void*)(uintptr_t)p;
}

static int heap_ok(const struct heap* h) { return !h->fail; }

/* a heap over [base, base + bytes) */
static inline struct heap heap_over(u8* base, u64 bytes) {
  const struct heap h = {(u64)(uintptr_t)base, (u64)(uintptr_t)base + bytes, 0, 0, 0};
  return h;
}

/* a heap that measures: what it hands out, plus the worst alignment loss of a real buffer */
static inline struct heap heap_dry(void) {
  const struct heap h = {0, ~0ull, 0, 1, 0};
  return h;
}
#define HEAP_DRY_BYTES(h) ((h).ptr + 64u)

/*
 * The compiler may emit calls to these (zeroing loops, copies, struct assignments); hot copies use COPY instead. Natively they are
 * hidden, so the process's own memcpy and memset are neither needed nor replaced.
 */
#if defined(__wasm__)
#define LOCAL_SYMBOL
#else
#define LOCAL_SYMBOL __attribute__((visibility("hidden")))
#endif
LOCAL_SYMBOL void* memcpy(void* dst, const void* src, unsigned long n) {
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
LOCAL_SYMBOL void* memmove(void* dst, const void* src, unsigned long n) {
  u8* d = (u8*)dst;
  const u8* s = (const u8*)src;
  if (d < s) {
    for (unsigned long i = 0; i < n; i++) d[i] = s[i];
  } else {
    for (unsigned long i = n; i-- > 0;) d[i] = s[i];
  }
  return dst;
}
LOCAL_SYMBOL void* memset(void* dst, int v, unsigned long n) {
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

#endif
