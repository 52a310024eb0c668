/* Shared by the test devices (harness.c: a fake kernel; kernel-harness.c:
 * the real kernel and lwIP): the platform port of the customization
 * subsystem, and the line commands both understand. */
#ifndef TEST_PORT_H
#define TEST_PORT_H

#include "../../firmware/custom/port.h"

#define TEST_BUF 70000

extern bsp_u8 test_buf[2][TEST_BUF];

void hex_out(const char *prefix, const bsp_u8 *p, bsp_u32 n);
bsp_u32 hex_in(const char *s, bsp_u8 *out, bsp_u32 max);
/* deliver HEX, queue HEX, config ..., cache, sha HEX, hmac KEY HEX: 1 when handled. */
int test_port_command(char **words, int n);
/* Read commands from stdin until it ends; each reply ends with ".". */
int test_command_loop(int (*command)(char **words, int n));

#endif
