/* What the customization subsystem needs from the kernel and the platform.
 * The kernel implements the first group (its tasks, fd tables, generation
 * counters and memory); port-board.c / port-native.c implement the platform group
 * (channel transport, code memory); the firmware build provides the export
 * table, the build ID and the device key. */
#ifndef BSP_PORT_H
#define BSP_PORT_H

#include "custom.h"

/* --- kernel --- */
/* Index of the current task, 0 .. BSP_TASKS-1. */
int bsp_port_task(void);
/* The open object (struct file) behind fd in task, its size in bytes, or NULL
 * when fd is not an open socket. */
void *bsp_port_file(int task, int fd, bsp_u32 *size);
/* Generation counter of a task's fd slot: bumped when the slot is closed or
 * reused, so a token bound to an fd notices fd reuse. */
const volatile bsp_u32 *bsp_port_fd_gen(int task, int fd);
/* The generation counter of a file: it moves with every change code
 * specialized for the file may have assumed — fcntl, close, and (through
 * its socket) setsockopt, bind, connect, connection state, netif/route
 * changes. */
const volatile bsp_u32 *bsp_port_file_gen(void *file);
/* The generic implementation of a customizable call (sys_sendto, sys_send). */
long bsp_port_generic(int call, int fd, const void *buf, unsigned long len, int flags, const void *addr,
                      unsigned addr_len);
/* 1 when [addr, addr+len) is device memory the server may read (FETCH) or
 * guard; 0 otherwise. */
int bsp_port_readable(bsp_uptr addr, bsp_uptr len);

/* --- platform (port-board.c, port-native.c) --- */
/* Send one frame to the server; 0 on success. */
int bsp_port_send(const bsp_u8 *frame, bsp_u32 len);
/* Receive one waiting frame into buf (at most max bytes): its length, or 0
 * when none is waiting. */
bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max);
/* Let time pass while waiting for the server (the wait policy). */
void bsp_port_idle(void);
/* The executable memory code images are loaded into. */
bsp_u8 *bsp_port_code_memory(bsp_u32 *size);

/* --- firmware build --- */
struct bsp_export {
  const char *name;
  void *addr;
};
extern const struct bsp_export bsp_exports[];
extern const bsp_u32 bsp_nexports;
extern const bsp_u8 bsp_build_id[BSP_BUILD_ID];
extern const bsp_u8 bsp_device_key[32];

#endif
