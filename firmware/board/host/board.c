/*
 * The host board: the firmware as a native Linux process (x86_64, gcc),
 * for unit tests, sanitizers and as a native device process. Console on
 * stdin/stdout. Time is virtual, as on the bespoke board: it only moves
 * when the firmware sleeps, so runs are deterministic and never wait.
 */
#include <unistd.h>

#include "bsp.h"

static u32_t now_ms;

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

u32_t
board_time_ms(void)
{
  return now_ms;
}

void
board_sleep_ms(u32_t ms)
{
  now_ms += ms;
}

int
board_counters(u32_t *cycles, u32_t *instret)
{
  (void)cycles;
  (void)instret;
  return 0;
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
