/*
 * The socket system calls. sys_sendto is the paper's Figure 2, line for
 * line: it is the generic code the customization server specializes, so its
 * shape (lookup, message set-up, address copy, the O_NONBLOCK test, the
 * indirect call through sock->ops) is kept as the paper shows it.
 */
#include "socket.h"

#include "errno.h"
#include "file.h"
#include "syscall.h"
#include "task.h"

/* A new socket, its file and its descriptor, or nothing at all. */
static long
sock_map_fd(struct socket *sock)
{
  struct file *file = file_alloc(sock);
  int fd;
  if (file == NULL) {
    return -ENFILE;
  }
  fd = fd_install(current, file);
  if (fd < 0) {
    file->f_count = 0;
    file->f_socket = NULL;
    sock->file = NULL;
  }
  return fd;
}

long
sys_socket(int family, int type, int protocol)
{
  const struct proto_ops *ops;
  struct socket *sock;
  long fd;
  int err;

  if (family != AF_INET) {
    return -EAFNOSUPPORT;
  }
  switch (type) {
    case SOCK_DGRAM:
      if (protocol != 0 && protocol != IPPROTO_UDP) {
        return -EPROTONOSUPPORT;
      }
      ops = &inet_dgram_ops;
      break;
    case SOCK_STREAM:
      if (protocol != 0 && protocol != IPPROTO_TCP) {
        return -EPROTONOSUPPORT;
      }
      ops = &inet_stream_ops;
      break;
    default:
      return -ESOCKTNOSUPPORT;
  }
  sock = sock_alloc(type);
  if (sock == NULL) {
    return -ENFILE;
  }
  sock->ops = ops;
  err = ops->create(sock);
  if (err < 0) {
    sock_free(sock);
    return err;
  }
  fd = sock_map_fd(sock);
  if (fd < 0) {
    ops->release(sock);
    sock_free(sock);
  }
  return fd;
}

long
sys_bind(int fd, const struct sockaddr *umyaddr, int addrlen)
{
  struct socket *sock;
  char address[MAX_SOCK_ADDR];
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  err = move_addr_to_kernel(umyaddr, addrlen, address);
  if (err < 0) {
    return err;
  }
  err = sock->ops->bind(sock, (struct sockaddr *)address, addrlen);
  if (err == 0) {
    sock_changed(sock);
  }
  return err;
}

long
sys_connect(int fd, const struct sockaddr *uservaddr, int addrlen)
{
  struct socket *sock;
  char address[MAX_SOCK_ADDR];
  unsigned flags = 0;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  err = move_addr_to_kernel(uservaddr, addrlen, address);
  if (err < 0) {
    return err;
  }
  if (sock->file->f_flags & O_NONBLOCK) {
    flags |= MSG_DONTWAIT;
  }
  err = sock->ops->connect(sock, (struct sockaddr *)address, addrlen, flags);
  /* Even a failed or pending connect may have changed the pcb. */
  sock_changed(sock);
  return err;
}

long
sys_listen(int fd, int backlog)
{
  struct socket *sock;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  err = sock->ops->listen(sock, backlog);
  if (err == 0) {
    sock_changed(sock);
  }
  return err;
}

long
sys_accept(int fd, struct sockaddr *upeer_sockaddr, int *upeer_addrlen)
{
  struct socket *sock;
  struct socket *newsock;
  struct sockaddr_in peer;
  unsigned flags = 0;
  long newfd;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  if (sock->file->f_flags & O_NONBLOCK) {
    flags |= MSG_DONTWAIT;
  }
  err = sock->ops->accept(sock, &newsock, flags);
  if (err < 0) {
    return err;
  }
  newfd = sock_map_fd(newsock);
  if (newfd < 0) {
    newsock->ops->release(newsock);
    sock_free(newsock);
    return newfd;
  }
  if (upeer_sockaddr != NULL) {
    err = newsock->ops->getname(newsock, &peer, 1);
    if (err == 0) {
      err = move_addr_to_user(&peer, (int)sizeof(peer), upeer_sockaddr, upeer_addrlen);
    }
    if (err < 0) {
      fd_close(current, (int)newfd);
      return err;
    }
  }
  return newfd;
}

/* Figure 2: the sendto system call. */
long
sys_sendto(int fd, void *buff, size_t len, unsigned flags, const struct sockaddr *addr, int addr_len)
{
  struct socket *sock;
  char address[MAX_SOCK_ADDR];
  int err;
  struct msghdr msg;
  struct iovec iov;

  sock = sockfd_lookup(fd, &err);
  if (!sock)
    goto out;
  iov.iov_base = buff;
  iov.iov_len = len;
  msg.msg_name = NULL;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = NULL;
  msg.msg_controllen = 0;
  msg.msg_namelen = 0;
  if (addr) {
    err = move_addr_to_kernel(addr, addr_len, address);
    if (err < 0)
      goto out;
    msg.msg_name = address;
    msg.msg_namelen = addr_len;
  }
  if (sock->file->f_flags & O_NONBLOCK)
    flags |= MSG_DONTWAIT;
  msg.msg_flags = flags;
  return sock_sendmsg(sock, &msg, len);
out:
  return err;
}

long
sys_send(int fd, void *buff, size_t len, unsigned flags)
{
  return sys_sendto(fd, buff, len, flags, NULL, 0);
}

long
sys_recvfrom(int fd, void *ubuf, size_t size, unsigned flags, struct sockaddr *addr, int *addr_len)
{
  struct socket *sock;
  struct sockaddr_in address;
  struct msghdr msg;
  struct iovec iov;
  long len;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  iov.iov_base = ubuf;
  iov.iov_len = size;
  msg.msg_name = addr != NULL ? &address : NULL;
  msg.msg_namelen = 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = NULL;
  msg.msg_controllen = 0;
  msg.msg_flags = 0;
  if (sock->file->f_flags & O_NONBLOCK) {
    flags |= MSG_DONTWAIT;
  }
  len = sock_recvmsg(sock, &msg, size, flags);
  if (len >= 0 && addr != NULL && msg.msg_namelen > 0) {
    err = move_addr_to_user(&address, msg.msg_namelen, addr, addr_len);
    if (err < 0) {
      return err;
    }
  }
  return len;
}

long
sys_setsockopt(int fd, int level, int optname, const void *optval, int optlen)
{
  struct socket *sock;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  if (optlen < 0) {
    return -EINVAL;
  }
  err = sock->ops->setsockopt(sock, level, optname, optval, optlen);
  if (err == 0) {
    sock_changed(sock);
  }
  return err;
}

long
sys_getsockopt(int fd, int level, int optname, void *optval, int *optlen)
{
  struct socket *sock;
  int err;

  sock = sockfd_lookup(fd, &err);
  if (!sock) {
    return err;
  }
  return sock->ops->getsockopt(sock, level, optname, optval, optlen);
}
