/*
 * Time for boards without a timer of their own (the host process, the
 * linux-arm program): virtual milliseconds that only sleeping advances, so
 * every run is deterministic and never waits. Such boards count no cycles
 * or instructions.
 */
#include "bsp.h"

static u32_t now_ms;
static u32_t ticked_us; /* below a millisecond */

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

void
board_steady_time(int on)
{
  (void)on;
}

void
board_tick_us(u32_t us)
{
  ticked_us += us % 1000;
  now_ms += us / 1000 + ticked_us / 1000;
  ticked_us %= 1000;
}

int
board_counters(u32_t *cycles, u32_t *instret)
{
  (void)cycles;
  (void)instret;
  return 0;
}
