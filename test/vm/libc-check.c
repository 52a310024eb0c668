/* Exercises firmware/libc; its output must equal glibc's for the same source
   compiled natively (test/vm/libc.test.ts). On arm the run-time ABI helpers
   are also called directly. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#ifdef __arm__
long long __aeabi_lmul(long long a, long long b);
long long __aeabi_llsl(long long v, int n);
long long __aeabi_llsr(long long v, int n);
long long __aeabi_lasr(long long v, int n);
#define LMUL(a, b) __aeabi_lmul(a, b)
#define LLSL(v, n) __aeabi_llsl(v, n)
#define LLSR(v, n) __aeabi_llsr(v, n)
#define LASR(v, n) __aeabi_lasr(v, n)
#else
#define LMUL(a, b) ((long long)((unsigned long long)(a) * (unsigned long long)(b)))
#define LLSL(v, n) ((long long)((unsigned long long)(v) << (n)))
#define LLSR(v, n) ((long long)((unsigned long long)(v) >> (n)))
#define LASR(v, n) ((long long)(v) >> (n))
#endif

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static unsigned checksum;

static void mix(unsigned long long v)
{
    checksum = checksum * 31 + (unsigned)v + (unsigned)(v >> 32) * 7;
}

int main(void)
{
    static const int ints[] = { 0, 1, -1, 2, -2, 3, 7, -7, 10, 100, -100, 65535, 65536, 123456789, -987654321, INT_MAX, INT_MIN, INT_MAX - 1 };
    static const long long wides[] = { 0, 1, -1, 3, -3, 10, 1000000007LL, -1000000007LL, 4294967296LL, 4294967297LL, -4294967296LL,
                                       123456789012345LL, -98765432109876LL, LLONG_MAX, LLONG_MIN, LLONG_MAX - 5, 0x7fffffffLL, 0x80000000LL };
    const int ni = sizeof ints / sizeof ints[0], nw = sizeof wides / sizeof wides[0];
    int i, j, n;
    char buf[128];
    int *sorted;
    void *blocks[64];

    for (i = 0; i < ni; i++)
        for (j = 0; j < ni; j++) {
            int a = ints[i], b = ints[j];
            if (b == 0 || (a == INT_MIN && b == -1))
                continue;
            mix((unsigned)(a / b));
            mix((unsigned)(a % b));
            mix((unsigned)a / (unsigned)b);
            mix((unsigned)a % (unsigned)b);
        }
    printf("int division %08x\n", checksum);
    checksum = 0;
    for (i = 0; i < nw; i++)
        for (j = 0; j < nw; j++) {
            long long a = wides[i], b = wides[j];
            if (b == 0 || (a == LLONG_MIN && b == -1))
                continue;
            mix((unsigned long long)(a / b));
            mix((unsigned long long)(a % b));
            mix((unsigned long long)a / (unsigned long long)b);
            mix((unsigned long long)a % (unsigned long long)b);
            mix((unsigned long long)LMUL(a, b));
        }
    printf("long long division and multiply %08x\n", checksum);
    checksum = 0;
    for (i = 0; i < nw; i++)
        for (j = 0; j < 64; j++) {
            mix((unsigned long long)LLSL(wides[i], j));
            mix((unsigned long long)LLSR(wides[i], j));
            mix((unsigned long long)LASR(wides[i], j));
        }
    printf("long long shifts %08x\n", checksum);

    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d] [%-8.3d|]\n", 42, 42, 42, 42, 42, 42, 7, -7, 7);
    printf("[%u] [%x] [%X] [%#x] [%o] [%#o] [%08x] [%#010x]\n", 3000000000u, 0xbeefu, 0xbeefu, 255u, 8u, 8u, 0xabcu, 0xabcu);
    printf("[%lld] [%llu] [%llx] [%lld] [%20lld]\n", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL, -42LL, 1234567890123LL);
    printf("[%hd] [%hhu] [%hx] [%ld] [%lu] [%zu]\n", (short)-3, (unsigned char)300, (unsigned short)0x12345, -7L, 7UL, sizeof(long long));
    printf("[%s] [%10s] [%-10s|] [%.2s] [%c] [%3c] [%-3c|] [%%]\n", "str", "right", "left", "truncate", 'x', 'y', 'z');
    printf("[%*d] [%-*d|] [%.*s]\n", 6, 12, 6, 12, 3, "abcdef");
    n = snprintf(buf, 8, "%s-%d", "overflowing", 12345);
    printf("snprintf %d [%s]\n", n, buf);
    n = sprintf(buf, "%d/%d", INT_MIN, INT_MAX);
    printf("sprintf %d [%s]\n", n, buf);

    printf("strtol %ld %ld %ld %ld %lu\n", strtol("  -1234xyz", 0, 10), strtol("0x1fZ", 0, 0), strtol("0777", 0, 0), strtol("zz", 0, 36), strtoul("4294967295", 0, 10));
    printf("atoi %d %d\n", atoi("  +56abc"), atoi("-0"));
    printf("strings %d %d %d %d %s %s\n", (int)strlen("hello"), strcmp("abc", "abd") < 0, strncmp("abcx", "abcy", 3), memcmp("az", "ay", 2) > 0,
           strchr("hello", 'l'), strrchr("hello", 'l'));
    printf("strstr [%s] [%s]\n", strstr("haystack with needle inside", "needle"), strstr("abc", "") );
    strcpy(buf, "con");
    strcat(buf, "cat");
    strncat(buf, "enated!!", 5);
    printf("strcat [%s] toupper %c isdigit %d isspace %d\n", buf, toupper('q'), isdigit('5') != 0, isspace('\t') != 0);
    memset(buf, 'a', 10);
    buf[10] = 0;
    memmove(buf + 2, buf, 5);
    memcpy(buf + 7, "XYZ", 3);
    printf("mem [%s]\n", buf);

    sorted = malloc(50 * sizeof *sorted);
    for (i = 0; i < 50; i++)
        sorted[i] = (i * 7919) % 101 - 50;
    qsort(sorted, 50, sizeof *sorted, cmp_int);
    for (i = 1; i < 50 && sorted[i - 1] <= sorted[i]; i++)
        ;
    printf("qsort sorted %d first %d last %d\n", i == 50, sorted[0], sorted[49]);
    free(sorted);

    checksum = 0;
    memset(blocks, 0, sizeof blocks);
    for (i = 0; i < 2000; i++) {
        int k = (i * 37) % 64;
        if (blocks[k]) {
            unsigned char *p = blocks[k];
            mix(p[0]);
            free(p);
            blocks[k] = 0;
        } else {
            size_t size = 1 + (i * 131) % 700;
            unsigned char *p = (i % 3) ? malloc(size) : calloc(size, 1);
            if (!p)
                return 1;
            if (i % 3 == 0 && p[size - 1] != 0)
                return 2;
            memset(p, i & 0xff, size);
            if (i % 5 == 0) {
                p = realloc(p, size * 2);
                if (!p || p[size - 1] != (i & 0xff))
                    return 3;
            }
            blocks[k] = p;
        }
    }
    printf("allocator %08x\n", checksum);
    puts("done");
    return 0;
}
