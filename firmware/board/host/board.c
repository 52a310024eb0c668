/*
 * The host board: the firmware as a native Linux process (x86_64, gcc),
 * for unit tests, sanitizers and as a native device process. Console on
 * stdin/stdout; time from board/virtual/clock.c.
 */
#include <unistd.h>

#include "bsp.h"

void
board_console_write(const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w <= 0) {
      return;
    }
    s += w;
    n -= (size_t)w;
  }
}

int
board_console_getc(void)
{
  unsigned char c;
  return read(0, &c, 1) == 1 ? c : -1;
}

void
board_exit(int status)
{
  _exit(status);
}

int
main(void)
{
  return firmware_main();
}
