/* The bespoke board's MMIO registers (memory map: docs/board.md). */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_RAM_BASE      0x00000000u
#define BOARD_MMIO_BASE     0xF0000000u

#define BOARD_UART_TXDATA   (*(volatile unsigned *)0xF0000000)
#define BOARD_UART_RXDATA   (*(volatile unsigned *)0xF0000004)
#define BOARD_UART_STATUS   (*(volatile unsigned *)0xF0000008)
#define BOARD_TIMER_US_LO   (*(volatile unsigned *)0xF0001000)
#define BOARD_TIMER_US_HI   (*(volatile unsigned *)0xF0001004)
#define BOARD_TIMER_FREQ    (*(volatile unsigned *)0xF0001008)
#define BOARD_TIMER_SLEEP   (*(volatile unsigned *)0xF000100C)
#define BOARD_TIMER_STEADY  (*(volatile unsigned *)0xF0001010)
#define BOARD_TIMER_TICK    (*(volatile unsigned *)0xF0001014)
#define BOARD_CYCLES_LO     (*(volatile unsigned *)0xF0002000)
#define BOARD_CYCLES_HI     (*(volatile unsigned *)0xF0002004)
#define BOARD_INSTRET_LO    (*(volatile unsigned *)0xF0002008)
#define BOARD_INSTRET_HI    (*(volatile unsigned *)0xF000200C)
#define BOARD_MBOX_STATUS   (*(volatile unsigned *)0xF0003000)
#define BOARD_MBOX_RX_LEN   (*(volatile unsigned *)0xF0003004)
#define BOARD_MBOX_RX_ADDR  (*(volatile unsigned *)0xF0003008)
#define BOARD_MBOX_TX_ADDR  (*(volatile unsigned *)0xF000300C)
#define BOARD_MBOX_TX_LEN   (*(volatile unsigned *)0xF0003010)
#define BOARD_SYS_EXIT      (*(volatile unsigned *)0xF0004000)
#define BOARD_SYS_RAM_SIZE  (*(volatile unsigned *)0xF0004004)

#define BOARD_UART_RX_READY 1u
#define BOARD_MBOX_RX_READY 1u
#define BOARD_MBOX_MAX      65536u

#endif
