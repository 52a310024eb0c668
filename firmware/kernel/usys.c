/* System call stubs for applications (see usys.h). */
#include "usys.h"

#include "syscall.h"

#define W(x) ((long)(x))

long u_socket(int family, int type, int protocol) { return system_call(NR_socket, family, type, protocol, 0, 0, 0); }
long u_bind(int fd, const struct sockaddr *addr, int addrlen) { return system_call(NR_bind, fd, W(addr), addrlen, 0, 0, 0); }
long u_connect(int fd, const struct sockaddr *addr, int addrlen) { return system_call(NR_connect, fd, W(addr), addrlen, 0, 0, 0); }
long u_listen(int fd, int backlog) { return system_call(NR_listen, fd, backlog, 0, 0, 0, 0); }
long u_accept(int fd, struct sockaddr *addr, int *addrlen) { return system_call(NR_accept, fd, W(addr), W(addrlen), 0, 0, 0); }

long
u_sendto(int fd, const void *buf, size_t len, unsigned flags, const struct sockaddr *addr, int addrlen)
{
  return system_call(NR_sendto, fd, W(buf), W(len), W(flags), W(addr), addrlen);
}

long u_send(int fd, const void *buf, size_t len, unsigned flags) { return system_call(NR_send, fd, W(buf), W(len), W(flags), 0, 0); }

long
u_recvfrom(int fd, void *buf, size_t len, unsigned flags, struct sockaddr *addr, int *addrlen)
{
  return system_call(NR_recvfrom, fd, W(buf), W(len), W(flags), W(addr), W(addrlen));
}

long
u_setsockopt(int fd, int level, int optname, const void *optval, int optlen)
{
  return system_call(NR_setsockopt, fd, level, optname, W(optval), optlen, 0);
}

long
u_getsockopt(int fd, int level, int optname, void *optval, int *optlen)
{
  return system_call(NR_getsockopt, fd, level, optname, W(optval), W(optlen), 0);
}

long u_fcntl(int fd, int cmd, long arg) { return system_call(NR_fcntl, fd, cmd, arg, 0, 0, 0); }
long u_close(int fd) { return system_call(NR_close, fd, 0, 0, 0, 0, 0); }
