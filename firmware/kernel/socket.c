/*
 * The generic socket layer: the socket table, descriptor-to-socket lookup,
 * copying addresses in and out, and the one indirect call per operation
 * into the protocol (sock->ops). Nothing here knows UDP from TCP.
 */
#include "socket.h"

#include <string.h>

#include "errno.h"
#include "file.h"
#include "kernel.h"
#include "net.h"
#include "task.h"

static struct socket sockets[SOCK_MAX];

struct socket *
sock_alloc(int type)
{
  int i;
  for (i = 0; i < SOCK_MAX; i++) {
    struct socket *sock = &sockets[i];
    if (sock->state == SS_FREE) {
      /* Keep the generation across reuse: a recycled slot must never look
       * like the socket that used it before. */
      u32_t gen = sock->gen;
      memset(sock, 0, sizeof(*sock));
      sock->gen = gen + 1;
      sock->state = SS_UNCONNECTED;
      sock->type = (short)type;
      return sock;
    }
  }
  return NULL;
}

void
sock_free(struct socket *sock)
{
  sock->state = SS_FREE;
  sock->ops = NULL;
  sock->file = NULL;
  sock->pcb.ip = NULL;
  sock_changed(sock);
}

/* Every mutation of a socket funnels through here, so that a guard on the
 * generation can never miss one. The file's generation moves too: it is the
 * one word a customized call checks for "this descriptor's socket". */
void
sock_changed(struct socket *sock)
{
  sock->gen++;
  if (sock->file != NULL) {
    sock->file->f_gen++;
  }
}

/* fd -> socket for the current task (Figure 2, line 1). */
struct socket *
sockfd_lookup(int fd, int *err)
{
  struct file *file = fget(current, fd);
  if (file == NULL) {
    *err = -EBADF;
    return NULL;
  }
  if (file->f_socket == NULL) {
    *err = -ENOTSOCK;
    return NULL;
  }
  return file->f_socket;
}

/* The board has one flat address space and no MMU, so "user" memory is
 * directly addressable; what remains of Linux's copy_from_user is the length
 * check that keeps a caller from overrunning the kernel's buffer. */
int
move_addr_to_kernel(const void *uaddr, int ulen, void *kaddr)
{
  if (ulen < 0 || ulen > MAX_SOCK_ADDR) {
    return -EINVAL;
  }
  if (ulen == 0) {
    return 0;
  }
  if (uaddr == NULL) {
    return -EFAULT;
  }
  memcpy(kaddr, uaddr, (size_t)ulen);
  return 0;
}

/* Copy a kernel address out, truncating to the caller's buffer and
 * reporting the full length, as Linux does. */
int
move_addr_to_user(const void *kaddr, int klen, void *uaddr, int *ulen)
{
  int len;
  if (ulen == NULL) {
    return 0;
  }
  len = *ulen;
  if (len < 0) {
    return -EINVAL;
  }
  if (len > klen) {
    len = klen;
  }
  if (len > 0) {
    if (uaddr == NULL) {
      return -EFAULT;
    }
    memcpy(uaddr, kaddr, (size_t)len);
  }
  *ulen = klen;
  return 0;
}

long
sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
  return sock->ops->sendmsg(sock, msg, len);
}

long
sock_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, unsigned flags)
{
  return sock->ops->recvmsg(sock, msg, len, flags);
}

/* lwIP's err_t -> a negated errno. ERR_MEM means "no packet buffer right
 * now" (a full loopback queue, an exhausted pool): ENOBUFS, which a sender
 * retries, rather than ENOMEM, which it would not. */
int
sock_error(err_t err)
{
  switch (err) {
    case ERR_OK:         return 0;
    case ERR_MEM:        return -ENOBUFS;
    case ERR_BUF:        return -ENOBUFS;
    case ERR_TIMEOUT:    return -ETIMEDOUT;
    case ERR_RTE:        return -EHOSTUNREACH;
    case ERR_INPROGRESS: return -EINPROGRESS;
    case ERR_VAL:        return -EINVAL;
    case ERR_WOULDBLOCK: return -EAGAIN;
    case ERR_USE:        return -EADDRINUSE;
    case ERR_ALREADY:    return -EALREADY;
    case ERR_ISCONN:     return -EISCONN;
    case ERR_CONN:       return -ENOTCONN;
    case ERR_IF:         return -ENETUNREACH;
    case ERR_ABRT:       return -ECONNABORTED;
    case ERR_RST:        return -ECONNRESET;
    case ERR_CLSD:       return -ENOTCONN;
    default:             return -EIO;
  }
}

/* The pending asynchronous error, consumed (SO_ERROR semantics). */
int
sock_take_error(struct socket *sock)
{
  int err = sock->err;
  sock->err = 0;
  return err;
}

/* Blocking, in a kernel with one thread of control: the waiting task cannot
 * sleep while others run, so it drives the network itself (loopback
 * delivery, lwIP's timers, idling until the next timer) and retries, for at
 * most SOCK_WAIT_MS of board time. With MSG_DONTWAIT (O_NONBLOCK) it
 * returns at once and the task yields to the scheduler instead. */
int
sock_wait(unsigned flags, u32_t since_ms)
{
  if (flags & MSG_DONTWAIT) {
    return -EAGAIN;
  }
  if ((u32_t)(sys_now() - since_ms) >= SOCK_WAIT_MS) {
    return -EAGAIN;
  }
  /* Nothing in flight and no timer pending: no other task runs while this
   * one waits, so nothing could ever wake it. */
  if (!kernel_poll() && !net_idle(SOCK_WAIT_MS)) {
    return -EAGAIN;
  }
  return 0;
}
