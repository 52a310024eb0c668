/*
 * The bespoke board (docs/board.md): console on the UART, time from the
 * virtual timer, idling with SLEEP, counters from the cycle counter. The
 * libc's board backend provides start-up (_start calls main) and exit.
 */
#include <stdlib.h>

#include "board.h"
#include "bsp.h"

void
board_console_write(const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    BOARD_UART_TXDATA = (unsigned char)s[i];
  }
}

int
board_console_getc(void)
{
  unsigned c = BOARD_UART_RXDATA;
  return c == 0xffffffffu ? -1 : (int)(c & 0xff);
}

/* Reading US_LO latches US_HI, so the two halves belong together. */
u32_t
board_time_ms(void)
{
  unsigned lo = BOARD_TIMER_US_LO;
  unsigned hi = BOARD_TIMER_US_HI;
  unsigned long long us = ((unsigned long long)hi << 32) | lo;
  return (u32_t)(us / 1000);
}

void
board_sleep_ms(u32_t ms)
{
  BOARD_TIMER_SLEEP = ms * 1000u;
}

void
board_steady_time(int on)
{
  BOARD_TIMER_STEADY = on ? 1u : 0u;
}

void
board_tick_us(u32_t us)
{
  BOARD_TIMER_TICK = us;
}

int
board_counters(u32_t *cycles, u32_t *instret)
{
  *cycles = BOARD_CYCLES_LO;
  *instret = BOARD_INSTRET_LO;
  return 1;
}

void
board_exit(int status)
{
  exit(status);
}

int
main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  return firmware_main();
}
