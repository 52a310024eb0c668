/*
 * The kernel's side of lwIP: bring-up, polling (lwIP runs with NO_SYS=1, so
 * nothing happens in the stack unless the kernel calls it), idling until the
 * next timer, and the route generation that guards specialized code.
 */
#ifndef KERNEL_NET_H
#define KERNEL_NET_H

#include "lwip/arch.h"

/* Longest a blocking socket call drives the network before giving up. */
#define SOCK_WAIT_MS 5000u

/* Bumped by every netif change: add, remove, up/down, address. */
extern u32_t net_gen;

int net_init(void);
int net_poll(void);
int net_idle(u32_t max_ms);
u32_t sys_now(void);

#endif
