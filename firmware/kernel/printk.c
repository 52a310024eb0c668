/*
 * Console output for the kernel and its applications: a small formatter
 * into a line buffer, flushed to the board's console.
 */
#include "kernel.h"

#include <stdarg.h>

#include "bsp.h"

#define PRINTK_BUF 128

struct printk_out {
  char buf[PRINTK_BUF];
  size_t len;
};

static void
out_char(struct printk_out *out, char c)
{
  if (out->len == PRINTK_BUF) {
    board_console_write(out->buf, out->len);
    out->len = 0;
  }
  out->buf[out->len++] = c;
}

static void
out_pad(struct printk_out *out, int width, int len, char pad)
{
  while (width-- > len) {
    out_char(out, pad);
  }
}

/* v / 10 by binary long division: the board's CPU has no divide
 * instruction, and this works for any width of long. */
static unsigned long
div10(unsigned long v, unsigned *rem)
{
  unsigned long q = 0;
  unsigned long r = 0;
  int bit;
  for (bit = (int)sizeof(v) * 8 - 1; bit >= 0; bit--) {
    r = (r << 1) | ((v >> bit) & 1ul);
    if (r >= 10) {
      r -= 10;
      q |= 1ul << bit;
    }
  }
  *rem = (unsigned)r;
  return q;
}

static void
out_decimal(struct printk_out *out, unsigned long v, int negative, int width, char pad)
{
  char digits[24];
  int n = 0;
  do {
    unsigned rem;
    v = div10(v, &rem);
    digits[n++] = (char)('0' + rem);
  } while (v != 0);
  if (negative) {
    digits[n++] = '-';
  }
  out_pad(out, width, n, pad);
  while (n > 0) {
    out_char(out, digits[--n]);
  }
}

static void
out_hex(struct printk_out *out, unsigned long v, int width, char pad)
{
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  out_pad(out, width, n, pad);
  while (n > 0) {
    out_char(out, digits[--n]);
  }
}

void
printk(const char *fmt, ...)
{
  struct printk_out out;
  va_list ap;
  out.len = 0;
  va_start(ap, fmt);
  while (*fmt != '\0') {
    int width = 0;
    int is_long = 0;
    char pad = ' ';
    char c = *fmt++;
    if (c != '%') {
      out_char(&out, c);
      continue;
    }
    if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9') {
      width = width * 10 + (*fmt++ - '0');
    }
    if (*fmt == 'l') {
      is_long = 1;
      fmt++;
    }
    c = *fmt++;
    switch (c) {
      case 'd': {
        long v = is_long ? va_arg(ap, long) : (long)va_arg(ap, int);
        out_decimal(&out, v < 0 ? 0ul - (unsigned long)v : (unsigned long)v, v < 0, width, pad);
        break;
      }
      case 'u':
        out_decimal(&out, is_long ? va_arg(ap, unsigned long) : (unsigned long)va_arg(ap, unsigned), 0, width, pad);
        break;
      case 'x':
        out_hex(&out, is_long ? va_arg(ap, unsigned long) : (unsigned long)va_arg(ap, unsigned), width, pad);
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        int n = 0;
        while (s[n] != '\0') {
          n++;
        }
        out_pad(&out, width, n, pad);
        while (*s != '\0') {
          out_char(&out, *s++);
        }
        break;
      }
      case 'c':
        out_char(&out, (char)va_arg(ap, int));
        break;
      case '%':
        out_char(&out, '%');
        break;
      default:
        out_char(&out, '%');
        if (c == '\0') {
          fmt--;
        } else {
          out_char(&out, c);
        }
        break;
    }
  }
  va_end(ap);
  if (out.len > 0) {
    board_console_write(out.buf, out.len);
  }
}

void
kernel_panic(const char *what, const char *file, int line)
{
  printk("kernel panic: %s (%s:%d)\n", what, file, line);
  board_exit(70);
}
