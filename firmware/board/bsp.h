/*
 * Board support: the few things the kernel needs from the machine it runs
 * on. One implementation per board: board/arm (the bespoke board, MMIO per
 * docs/board.md), board/host (a native process), board/linux-arm (a static
 * Linux ARM program, to check the arm build under qemu-arm).
 */
#ifndef BOARD_BSP_H
#define BOARD_BSP_H

#include <stddef.h>

#include "lwip/arch.h"

/* The firmware's entry, called by the board's start-up code once memory is
 * ready; its result is the board's exit status. */
int firmware_main(void);

void board_console_write(const char *s, size_t n);

/* The next console input byte, or -1 when no more input is waiting. */
int board_console_getc(void);

/* Board time in milliseconds since reset. On the bespoke board it is the
 * virtual timer; on the others a clock that only sleeping advances, so
 * every run is deterministic. */
u32_t board_time_ms(void);
void board_sleep_ms(u32_t ms);

/* on: from now on board time advances only by sleeping and board_tick_us,
 * not with how fast the code runs, so runs of different code meet their
 * timers at the same points (the bespoke board's timer stops counting
 * cycles; the other boards' time is so always). off: the bespoke board's
 * time counts cycles again, from where it stood. */
void board_steady_time(int on);
/* Advance board time by `us` microseconds at once, without idling. */
void board_tick_us(u32_t us);

/* Low 32 bits of cycles and instructions retired since reset. Returns 0 when
 * the board cannot count them (then both are left unchanged). */
int board_counters(u32_t *cycles, u32_t *instret);

void board_exit(int status);

#endif
