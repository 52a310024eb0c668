/*
 * The kernel's half of the customization subsystem's port (firmware/custom/
 * port.h): which task is running, what a descriptor refers to, the
 * generation counters that guard customized code, the generic path a
 * customized call falls back to, and which memory the server may read.
 * Built only when the subsystem is linked (BESPOKE_CUSTOM).
 */
#ifdef BESPOKE_CUSTOM

#include "port.h"

#include "file.h"
#include "socket.h"
#include "syscall.h"
#include "task.h"

/* Linker-defined bounds of the image: data and bss lie in [_etext, _end). */
extern char _etext[];
extern char _end[];

int
bsp_port_task(void)
{
  return current != NULL ? current->pid - 1 : 0;
}

/* A datagram socket customized for sending takes its local port here, as
 * its first send would: code customized for it then sends from a known
 * port instead of binding on every call. */
void *
bsp_port_file(int task, int fd, bsp_u32 *size)
{
  struct file *file = fget(task_slot(task), fd);
  if (file == NULL || file->f_socket == NULL) {
    return NULL;
  }
  if (file->f_socket->type == SOCK_DGRAM) {
    (void)udp_sock_autobind(file->f_socket); /* failed: the customized code binds, as the generic call does */
  }
  *size = (bsp_u32)sizeof(*file);
  return file;
}

/* A descriptor number out of range has no slot; its counter never changes,
 * and bsp_port_file has already refused it. */
const volatile bsp_u32 *
bsp_port_fd_gen(int task, int fd)
{
  static const bsp_u32 no_slot;
  struct task *t = task_slot(task);
  if (t == NULL || fd < 0 || fd >= TASK_NOFILE) {
    return &no_slot;
  }
  return &t->fd_gen[fd];
}

const volatile bsp_u32 *
bsp_port_file_gen(void *file)
{
  return &((struct file *)file)->f_gen;
}

long
bsp_port_generic(int call, int fd, const void *buf, unsigned long len, int flags, const void *addr, unsigned addr_len)
{
  if (call == BSP_CALL_SEND) {
    return sys_send(fd, (void *)buf, len, (unsigned)flags);
  }
  return sys_sendto(fd, (void *)buf, len, (unsigned)flags, (const struct sockaddr *)addr, (int)addr_len);
}

/* The server may read the kernel's and lwIP's static state (the task, file
 * and socket tables, pcbs, the heap and pools lwIP carves from bss), never
 * the stack or the application heap. */
int
bsp_port_readable(bsp_uptr addr, bsp_uptr len)
{
  bsp_uptr lo = (bsp_uptr)_etext;
  bsp_uptr hi = (bsp_uptr)_end;
  return addr >= lo && len <= hi - lo && addr - lo <= hi - lo - len;
}

#endif
