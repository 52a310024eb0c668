/* The libc's system backend: linux.c (Linux EABI syscalls, for qemu-arm and
   the VM's linux-user personality) or board.c (the bespoke board's MMIO). */
#ifndef _LIBC_SYS_H
#define _LIBC_SYS_H
long __sys_write(int fd, const void *buf, unsigned long len);
void __sys_exit(int status) __attribute__((noreturn));
/* Grow the heap by `increment` bytes; returns the old end, or 0 when out of memory. */
void *__sys_sbrk(unsigned long increment);
#endif
