/* The printf family and the output side of stdio, unbuffered, over the
   backend's __sys_write. Integer conversions (d i u x X o c s p %, with
   flags, width, precision and the hh h l ll z t j lengths); no floating point. */
#include <stdio.h>
#include <string.h>
#include "sys.h"

static FILE stdout_file = { 1 };
static FILE stderr_file = { 2 };
FILE *const stdout = &stdout_file;
FILE *const stderr = &stderr_file;

/* Where formatted output goes: a stream (through a small buffer) or a string. */
struct sink {
    int fd;          /* >= 0: a stream */
    char *buf;       /* string output */
    size_t cap;      /* bytes buf may hold, including the terminating NUL */
    size_t len;      /* characters produced so far */
    char chunk[64];
    int used;
};

static void flush_sink(struct sink *s)
{
    if (s->used) {
        __sys_write(s->fd, s->chunk, s->used);
        s->used = 0;
    }
}

static void put(struct sink *s, char c)
{
    if (s->fd >= 0) {
        s->chunk[s->used++] = c;
        if (s->used == sizeof s->chunk)
            flush_sink(s);
    } else if (s->len + 1 < s->cap) {
        s->buf[s->len] = c;
    }
    s->len++;
}

static void pad(struct sink *s, char c, int n)
{
    while (n-- > 0)
        put(s, c);
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };

static void format_int(struct sink *s, unsigned long long v, int negative, int base, int upper, int flags, int width, int prec)
{
    char digits[24];
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0, len;
    char sign = negative ? '-' : flags & F_PLUS ? '+' : flags & F_SPACE ? ' ' : 0;
    const char *prefix = "";
    while (v) {
        digits[n++] = set[v % base];
        v /= base;
    }
    if (prec < 0)
        prec = 1;
    else
        flags &= ~F_ZERO;
    if (flags & F_ALT) {
        if (base == 16 && n)
            prefix = upper ? "0X" : "0x";
        else if (base == 8 && prec <= n)
            prec = n + 1;
    }
    len = (n > prec ? n : prec) + (sign != 0) + strlen(prefix);
    if (!(flags & (F_LEFT | F_ZERO)))
        pad(s, ' ', width - len);
    if (sign)
        put(s, sign);
    while (*prefix)
        put(s, *prefix++);
    if (flags & F_ZERO)
        pad(s, '0', width - len);
    pad(s, '0', prec - n);
    while (n)
        put(s, digits[--n]);
    if (flags & F_LEFT)
        pad(s, ' ', width - len);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        int flags = 0, width = 0, prec = -1, size = 0;
        unsigned long long v;
        int negative = 0;
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        for (;;) {
            char c = *++fmt;
            if (c == '-') flags |= F_LEFT;
            else if (c == '+') flags |= F_PLUS;
            else if (c == ' ') flags |= F_SPACE;
            else if (c == '#') flags |= F_ALT;
            else if (c == '0') flags |= F_ZERO;
            else break;
        }
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        if (flags & F_LEFT)
            flags &= ~F_ZERO;
        /* size: -2 hh, -1 h, 0 int, 1 long, 2 long long */
        for (;; fmt++) {
            if (*fmt == 'h') size--;
            else if (*fmt == 'l') size++;
            else if (*fmt == 'j' || *fmt == 'q') size = 2;
            else if (*fmt == 'z' || *fmt == 't') size = 1;
            else break;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            long long x = size >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
            if (size == -1) x = (short)x;
            else if (size <= -2) x = (signed char)x;
            negative = x < 0;
            v = negative ? 0 - (unsigned long long)x : (unsigned long long)x;
            format_int(s, v, negative, 10, 0, flags, width, prec);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            v = size >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            if (size == -1) v = (unsigned short)v;
            else if (size <= -2) v = (unsigned char)v;
            format_int(s, v, 0, *fmt == 'o' ? 8 : *fmt == 'u' ? 10 : 16, *fmt == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p':
            v = (unsigned)va_arg(ap, void *);
            format_int(s, v, 0, 16, 0, flags | F_ALT, width, prec);
            break;
        case 'c':
            if (!(flags & F_LEFT))
                pad(s, ' ', width - 1);
            put(s, (char)va_arg(ap, int));
            if (flags & F_LEFT)
                pad(s, ' ', width - 1);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            int n, i;
            if (!str)
                str = "(null)";
            n = prec >= 0 ? (int)strnlen(str, prec) : (int)strlen(str);
            if (!(flags & F_LEFT))
                pad(s, ' ', width - n);
            for (i = 0; i < n; i++)
                put(s, str[i]);
            if (flags & F_LEFT)
                pad(s, ' ', width - n);
            break;
        }
        case '%':
            put(s, '%');
            break;
        case 0:
            return;
        default:
            /* Unsupported conversion (e.g. floating point): show it as written. */
            put(s, '%');
            put(s, *fmt);
            break;
        }
    }
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    struct sink s;
    s.fd = f->fd;
    s.len = 0;
    s.used = 0;
    format(&s, fmt, ap);
    flush_sink(&s);
    return s.len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct sink s;
    s.fd = -1;
    s.buf = buf;
    s.cap = size;
    s.len = 0;
    format(&s, fmt, ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = 0;
    return s.len;
}

int vsprintf(char *buf, const char *fmt, va_list ap) { return vsnprintf(buf, (size_t)-1 / 2, fmt, ap); }
int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int fputc(int c, FILE *f)
{
    unsigned char b = c;
    return __sys_write(f->fd, &b, 1) == 1 ? b : EOF;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *str, FILE *f)
{
    size_t n = strlen(str);
    return __sys_write(f->fd, str, n) == (long)n ? 0 : EOF;
}

int puts(const char *str)
{
    if (fputs(str, stdout) == EOF)
        return EOF;
    return fputc('\n', stdout) == EOF ? EOF : 0;
}

size_t fwrite(const void *p, size_t size, size_t count, FILE *f)
{
    long n = __sys_write(f->fd, p, size * count);
    return n < 0 || !size ? 0 : n / size;
}

int fflush(FILE *f)
{
    (void)f;
    return 0;
}
