/*
 * The application side of the system calls: what a program on the device
 * links against. Each stub passes its arguments to the kernel's dispatcher
 * and returns its result: a count or 0, or a negated errno.
 *
 * The names carry a u_ prefix so that the host build (a Linux process)
 * never confuses them with its own libc's socket functions.
 */
#ifndef KERNEL_USYS_H
#define KERNEL_USYS_H

#include <stddef.h>

#include "file.h"
#include "socket.h"

long u_socket(int family, int type, int protocol);
long u_bind(int fd, const struct sockaddr *addr, int addrlen);
long u_connect(int fd, const struct sockaddr *addr, int addrlen);
long u_listen(int fd, int backlog);
long u_accept(int fd, struct sockaddr *addr, int *addrlen);
long u_sendto(int fd, const void *buf, size_t len, unsigned flags, const struct sockaddr *addr, int addrlen);
long u_send(int fd, const void *buf, size_t len, unsigned flags);
long u_recvfrom(int fd, void *buf, size_t len, unsigned flags, struct sockaddr *addr, int *addrlen);
long u_setsockopt(int fd, int level, int optname, const void *optval, int optlen);
long u_getsockopt(int fd, int level, int optname, void *optval, int *optlen);
long u_fcntl(int fd, int cmd, long arg);
long u_close(int fd);

#endif
