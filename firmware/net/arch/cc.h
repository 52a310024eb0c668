/*
 * lwIP's compiler and platform port for the bespoke firmware. The same port
 * serves TinyCC (arm board, through tcc-wasm) and gcc (x86_64 host build),
 * so it relies on neither compiler's extensions and on no libc header but
 * <stddef.h> (which TinyCC ships) and <string.h>.
 */
#ifndef BESPOKE_ARCH_CC_H
#define BESPOKE_ARCH_CC_H

#include <stddef.h>

/* Fixed-width types without <stdint.h>: int is 32 bits and long is as wide
 * as a pointer on both ILP32 arm and LP64 x86_64. */
#define LWIP_NO_STDINT_H 1
typedef unsigned char u8_t;
typedef signed char s8_t;
typedef unsigned short u16_t;
typedef signed short s16_t;
typedef unsigned int u32_t;
typedef signed int s32_t;
typedef unsigned long mem_ptr_t;

/* lwIP only prints these under LWIP_DEBUG, which stays off. */
#define LWIP_NO_INTTYPES_H 1
#define X8_F  "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

/* No <limits.h>, <ctype.h> or <unistd.h>: lwIP's core needs none of them
 * once ssize_t is not required (the BSD socket layer is off). */
#define LWIP_NO_LIMITS_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_UNISTD_H 1
#define SSIZE_MAX 0x7fffffffL

#define BYTE_ORDER LITTLE_ENDIAN

/* lwIP packs its protocol headers with GCC attributes only; TinyCC honours
 * #pragma pack, which gcc understands too, so both use the include files. */
#define PACK_STRUCT_USE_INCLUDES
#ifndef __GNUC__
#define PACK_STRUCT_STRUCT
#define PACK_STRUCT_BEGIN
#define PACK_STRUCT_END
#define PACK_STRUCT_FIELD(x) x
#endif

/* Diagnostics and assertions go to the kernel's console and panic, never
 * to printf/abort, which the board does not have. */
void kernel_panic(const char *what, const char *file, int line);
#define LWIP_PLATFORM_DIAG(x)
#define LWIP_PLATFORM_ASSERT(x) kernel_panic((x), __FILE__, __LINE__)

#endif
