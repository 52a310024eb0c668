/* The customization subsystem's platform port on the bespoke board
 * (docs/board.md): frames travel as mailbox messages, one frame per
 * message; code images load into a RAM pool (the board has no MMU, so any
 * RAM is executable). */
#include "port.h"

#include "board.h"

#ifndef BSP_CODE_BYTES
#define BSP_CODE_BYTES (64 * 1024)
#endif

static bsp_u8 code_memory[BSP_CODE_BYTES] __attribute__((aligned(16)));

int bsp_port_send(const bsp_u8 *frame, bsp_u32 len) {
  BOARD_MBOX_TX_ADDR = (unsigned)(bsp_uptr)frame;
  BOARD_MBOX_TX_LEN = len;
  return 0;
}

/* The mailbox copies a whole message; the channel's buffer holds the largest
 * one (BSP_FRAME_MAX == BOARD_MBOX_MAX), so max is never short. */
bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max) {
  bsp_u32 n;
  if (!(BOARD_MBOX_STATUS & BOARD_MBOX_RX_READY) || (n = BOARD_MBOX_RX_LEN) > max) return 0;
  BOARD_MBOX_RX_ADDR = (unsigned)(bsp_uptr)buf;
  return n;
}

/* Sleep until a message arrives, or 1 ms. */
void bsp_port_idle(void) { BOARD_TIMER_SLEEP = 1000; }

bsp_u8 *bsp_port_code_memory(bsp_u32 *size) {
  *size = BSP_CODE_BYTES;
  return code_memory;
}
