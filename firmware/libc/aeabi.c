/* The ARM run-time ABI helpers the compilers call: integer division and
   64-bit shifts and multiply. The *divmod functions return two values in
   r0-r3, which C cannot express, so each is a few ARM instructions placed in
   .text as a word array (TinyCC has no ARM inline assembler) that calls a C
   helper with a pointer to the remainder and loads it into r1 (r2:r3).
   Nothing in this file may divide or shift a 64-bit value by a variable:
   that would call the helpers being defined. */

typedef unsigned long long u64;

union dword {
    u64 v;
    struct { unsigned lo, hi; } w;
};

static unsigned udivmod32(unsigned n, unsigned d, unsigned *rem)
{
    unsigned q = 0, bit = 1;
    if (!d) {
        *rem = n;
        return 0;
    }
    while (d < n && !(d & 0x80000000u)) {
        d <<= 1;
        bit <<= 1;
    }
    for (; bit; d >>= 1, bit >>= 1) {
        if (n >= d) {
            n -= d;
            q |= bit;
        }
    }
    *rem = n;
    return q;
}

static u64 udivmod64(u64 n, u64 d, u64 *rem)
{
    union dword un, ud;
    u64 q = 0, bit = 1;
    un.v = n;
    ud.v = d;
    if (!un.w.hi && !ud.w.hi) {
        unsigned r;
        q = udivmod32(un.w.lo, ud.w.lo, &r);
        *rem = r;
        return q;
    }
    if (!d) {
        *rem = n;
        return 0;
    }
    while (d < n && !(d >> 63)) {
        d <<= 1;
        bit <<= 1;
    }
    for (; bit; d >>= 1, bit >>= 1) {
        if (n >= d) {
            n -= d;
            q |= bit;
        }
    }
    *rem = n;
    return q;
}

unsigned __libc_uidivmod(unsigned n, unsigned d, unsigned *rem)
{
    return udivmod32(n, d, rem);
}

int __libc_idivmod(int n, int d, int *rem)
{
    unsigned r, q = udivmod32(n < 0 ? 0u - n : n, d < 0 ? 0u - d : d, &r);
    *rem = n < 0 ? -(int)r : (int)r;
    return (n < 0) != (d < 0) ? -(int)q : (int)q;
}

u64 __libc_uldivmod(u64 n, u64 d, u64 *rem)
{
    return udivmod64(n, d, rem);
}

long long __libc_ldivmod(long long n, long long d, long long *rem)
{
    u64 r, q = udivmod64(n < 0 ? 0 - (u64)n : (u64)n, d < 0 ? 0 - (u64)d : (u64)d, &r);
    *rem = n < 0 ? -(long long)r : (long long)r;
    return (n < 0) != (d < 0) ? -(long long)q : (long long)q;
}

int __aeabi_idiv(int n, int d)
{
    int r;
    return __libc_idivmod(n, d, &r);
}

unsigned __aeabi_uidiv(unsigned n, unsigned d)
{
    unsigned r;
    return udivmod32(n, d, &r);
}

/* r0 = helper(r0, r1, sp); r1 = *sp */
#define DIVMOD32(helper)                                            \
    {                                                               \
        0xe52de004, /* push {lr}              */                    \
        0xe24dd004, /* sub sp, sp, #4         */                    \
        0xe1a0200d, /* mov r2, sp             */                    \
        0xe59fc008, /* ldr ip, [pc, #8]       */                    \
        0xe12fff3c, /* blx ip                 */                    \
        0xe49d1004, /* pop {r1}               */                    \
        0xe49df004, /* pop {pc}               */                    \
        (unsigned)helper,                                           \
    }

/* r0:r1 = helper(r0:r1, r2:r3, sp + 8); r2:r3 = *(sp + 8) */
#define DIVMOD64(helper)                                            \
    {                                                               \
        0xe92d4010, /* push {r4, lr}          */                    \
        0xe24dd010, /* sub sp, sp, #16        */                    \
        0xe28d4008, /* add r4, sp, #8         */                    \
        0xe58d4000, /* str r4, [sp]           */                    \
        0xe59fc010, /* ldr ip, [pc, #16]      */                    \
        0xe12fff3c, /* blx ip                 */                    \
        0xe59d2008, /* ldr r2, [sp, #8]       */                    \
        0xe59d300c, /* ldr r3, [sp, #12]      */                    \
        0xe28dd010, /* add sp, sp, #16        */                    \
        0xe8bd8010, /* pop {r4, pc}           */                    \
        (unsigned)helper,                                           \
    }

const unsigned __aeabi_uidivmod[] __attribute__((section(".text"))) = DIVMOD32(__libc_uidivmod);
const unsigned __aeabi_idivmod[] __attribute__((section(".text"))) = DIVMOD32(__libc_idivmod);
const unsigned __aeabi_uldivmod[] __attribute__((section(".text"))) = DIVMOD64(__libc_uldivmod);
const unsigned __aeabi_ldivmod[] __attribute__((section(".text"))) = DIVMOD64(__libc_ldivmod);

long long __aeabi_llsl(long long v, int n)
{
    union dword x;
    unsigned lo, hi;
    x.v = v;
    lo = x.w.lo;
    hi = x.w.hi;
    if (n >= 32) {
        hi = n >= 64 ? 0 : lo << (n - 32);
        lo = 0;
    } else if (n > 0) {
        hi = (hi << n) | (lo >> (32 - n));
        lo <<= n;
    }
    x.w.lo = lo;
    x.w.hi = hi;
    return x.v;
}

long long __aeabi_llsr(long long v, int n)
{
    union dword x;
    unsigned lo, hi;
    x.v = v;
    lo = x.w.lo;
    hi = x.w.hi;
    if (n >= 32) {
        lo = n >= 64 ? 0 : hi >> (n - 32);
        hi = 0;
    } else if (n > 0) {
        lo = (lo >> n) | (hi << (32 - n));
        hi >>= n;
    }
    x.w.lo = lo;
    x.w.hi = hi;
    return x.v;
}

long long __aeabi_lasr(long long v, int n)
{
    union dword x;
    unsigned lo;
    int hi;
    x.v = v;
    lo = x.w.lo;
    hi = (int)x.w.hi;
    if (n >= 32) {
        lo = (unsigned)(n >= 64 ? hi >> 31 : hi >> (n - 32));
        hi >>= 31;
    } else if (n > 0) {
        lo = (lo >> n) | ((unsigned)hi << (32 - n));
        hi >>= n;
    }
    x.w.lo = lo;
    x.w.hi = (unsigned)hi;
    return x.v;
}

long long __aeabi_lmul(long long a, long long b)
{
    union dword x, y, r;
    x.v = a;
    y.v = b;
    r.v = (u64)x.w.lo * y.w.lo;
    r.w.hi += x.w.lo * y.w.hi + x.w.hi * y.w.lo;
    return r.v;
}
