/* Shared by the test devices (harness.c: a fake kernel; kernel-harness.c:
 * the real kernel and lwIP): the line commands both understand (test-port.c)
 * and the test transport (test-transport.c). */
#ifndef TEST_PORT_H
#define TEST_PORT_H

#include "../../firmware/custom/port.h"

#define TEST_BUF 70000
#define TEST_QUEUE 16

extern bsp_u8 test_buf[2][TEST_BUF];
/* Frames for bsp_port_recv (test-transport.c), queued by the "queue" command. */
extern bsp_u8 *test_queue[TEST_QUEUE];
extern bsp_u32 test_queue_len[TEST_QUEUE], test_queued;

void hex_out(const char *prefix, const bsp_u8 *p, bsp_u32 n);
bsp_u32 hex_in(const char *s, bsp_u8 *out, bsp_u32 max);
/* deliver HEX, queue HEX, poll-channel, config ..., cache, sha HEX, hmac KEY HEX: 1 when handled. */
int test_port_command(char **words, int n);
/* Read commands from stdin until it ends; each reply ends with ".". */
int test_command_loop(int (*command)(char **words, int n));

#endif
