/* Integer types and function attributes shared by every source of the C curve engine (both field builds). */
#ifndef MSM_TYPES_H
#define MSM_TYPES_H

#include <stdint.h>

typedef uint8_t u8;
typedef int8_t i8;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint64_t u64;
typedef int64_t i64;

#define INLINE static inline __attribute__((always_inline))
/* a copy expanded inline (plain struct assignment may become a call to memcpy) */
#define COPY(dst, src) __builtin_memcpy_inline((dst), (src), sizeof(*(dst)))
#define NOINLINE static __attribute__((noinline))

#endif
