/*
 * System call numbers, the kernel's entry points, and the one dispatcher
 * every call goes through. On the board there is no trap (svc faults, see
 * docs/board.md): an application calls system_call(), which indexes
 * sys_call_table, as Linux's trap handler does.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <stddef.h>

struct sockaddr;

#define NR_socket      1
#define NR_bind        2
#define NR_connect     3
#define NR_listen      4
#define NR_accept      5
#define NR_sendto      6
#define NR_send        7
#define NR_recvfrom    8
#define NR_setsockopt  9
#define NR_getsockopt 10
#define NR_fcntl      11
#define NR_close      12
#define NR_specialize 13        /* the customization interface (firmware/custom/bespoke.h) */
#define NR_SYSCALLS   14

/* Arguments travel as longs (as wide as a pointer on every target). */
typedef long (*syscall_fn)(const long *args);

long system_call(unsigned nr, long a0, long a1, long a2, long a3, long a4, long a5);

long sys_socket(int family, int type, int protocol);
long sys_bind(int fd, const struct sockaddr *umyaddr, int addrlen);
long sys_connect(int fd, const struct sockaddr *uservaddr, int addrlen);
long sys_listen(int fd, int backlog);
long sys_accept(int fd, struct sockaddr *upeer_sockaddr, int *upeer_addrlen);
long sys_sendto(int fd, void *buff, size_t len, unsigned flags, const struct sockaddr *addr, int addr_len);
long sys_send(int fd, void *buff, size_t len, unsigned flags);
long sys_recvfrom(int fd, void *ubuf, size_t size, unsigned flags, struct sockaddr *addr, int *addr_len);
long sys_setsockopt(int fd, int level, int optname, const void *optval, int optlen);
long sys_getsockopt(int fd, int level, int optname, void *optval, int *optlen);
long sys_fcntl(int fd, int cmd, long arg);
long sys_close(int fd);

#endif
