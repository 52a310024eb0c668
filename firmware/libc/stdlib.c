/* exit, a first-fit allocator over the backend's sbrk, number parsing, qsort, rand. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "sys.h"

void exit(int status)
{
    __sys_exit(status);
}

void abort(void)
{
    fputs("abort\n", stderr);
    __sys_exit(134);
}

void __assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

/* Heap blocks: a header with the block's total size (a multiple of 8, at
   least 8), then the payload. Free blocks form an address-ordered list and
   are merged with free neighbours. */
struct block {
    size_t size;
    struct block *next; /* only while free */
};

#define HEADER 8
static struct block *free_list;

void *malloc(size_t n)
{
    struct block **link, *b;
    size_t need;
    if (n > 0x7ffffff0)
        return 0;
    need = (n + HEADER + 7) & ~7u;
    if (need < sizeof(struct block))
        need = sizeof(struct block);
    for (link = &free_list; (b = *link); link = &b->next) {
        if (b->size >= need) {
            if (b->size - need >= 16) {
                struct block *rest = (struct block *)((char *)b + need);
                rest->size = b->size - need;
                rest->next = b->next;
                *link = rest;
                b->size = need;
            } else {
                *link = b->next;
            }
            return (char *)b + HEADER;
        }
    }
    b = __sys_sbrk(need);
    if (!b)
        return 0;
    b->size = need;
    return (char *)b + HEADER;
}

void free(void *p)
{
    struct block *b, **link, *prev = 0;
    if (!p)
        return;
    b = (struct block *)((char *)p - HEADER);
    for (link = &free_list; *link && *link < b; link = &(*link)->next)
        prev = *link;
    b->next = *link;
    *link = b;
    if (b->next && (char *)b + b->size == (char *)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (prev && (char *)prev + prev->size == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
    }
}

void *calloc(size_t count, size_t size)
{
    size_t n = count * size;
    void *p;
    if (size && n / size != count)
        return 0;
    p = malloc(n);
    return p ? memset(p, 0, n) : 0;
}

void *realloc(void *p, size_t n)
{
    size_t have;
    void *q;
    if (!p)
        return malloc(n);
    have = ((struct block *)((char *)p - HEADER))->size - HEADER;
    if (n <= have)
        return p;
    q = malloc(n);
    if (q) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
}

/* Parses an optionally signed integer; *negative tells the sign. */
static unsigned long long parse(const char *s, char **end, int base, int *negative)
{
    const char *p = s;
    unsigned long long v = 0;
    int any = 0;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    *negative = 0;
    if (*p == '-' || *p == '+')
        *negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = *p == '0' ? 8 : 10;
    }
    for (; digit_value(*p) < base; p++, any = 1)
        v = v * base + digit_value(*p);
    if (end)
        *end = (char *)(any ? p : s);
    return v;
}

long long strtoll(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = parse(s, end, base, &neg);
    return neg ? -(long long)v : (long long)v;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg;
    unsigned long long v = parse(s, end, base, &neg);
    return neg ? -v : v;
}

long strtol(const char *s, char **end, int base) { return (long)strtoll(s, end, base); }
unsigned long strtoul(const char *s, char **end, int base) { return (unsigned long)strtoull(s, end, base); }
int atoi(const char *s) { return (int)strtol(s, 0, 10); }
long atol(const char *s) { return strtol(s, 0, 10); }
int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
long long llabs(long long x) { return x < 0 ? -x : x; }

static unsigned long rand_state = 1;

int rand(void)
{
    rand_state = rand_state * 1103515245 + 12345;
    return (int)((rand_state >> 1) & RAND_MAX);
}

void srand(unsigned seed)
{
    rand_state = seed;
}

static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Insertion sort: small inputs on a small device; stable and allocation-free. */
void qsort(void *base, size_t count, size_t size, int (*cmp)(const void *, const void *))
{
    char *a = base;
    size_t i, j;
    for (i = 1; i < count; i++)
        for (j = i; j > 0 && cmp(a + (j - 1) * size, a + j * size) > 0; j--)
            swap_bytes(a + (j - 1) * size, a + j * size, size);
}
