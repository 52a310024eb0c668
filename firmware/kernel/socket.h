/*
 * Sockets: the BSD socket layer of the kernel, over lwIP's raw API.
 *
 * Layering follows Linux 2.4 so that the paper's sys_sendto (Figure 2)
 * carries over line for line: an fd names a struct file, the file points at
 * a struct socket, and the socket's proto_ops table (datagram or stream)
 * leads to the protocol: lwIP's udp_sendto, or tcp_write + tcp_output.
 *
 * Generation counters: a socket's `gen` is bumped by every mutation that
 * code specialized for this socket may have assumed (setsockopt, bind,
 * connect, listen, close, and the state changes lwIP reports: connection
 * established, reset, closed). A customized system call records the
 * generation it was built against and runs only while it is unchanged.
 */
#ifndef KERNEL_SOCKET_H
#define KERNEL_SOCKET_H

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

struct file;
struct socket;
struct udp_pcb;
struct tcp_pcb;

/* Address families, socket types, protocols: Linux's numbers. */
#define AF_UNSPEC       0
#define AF_INET         2
#define SOCK_STREAM     1
#define SOCK_DGRAM      2
#define IPPROTO_IP      0
#define IPPROTO_TCP     6
#define IPPROTO_UDP     17

/* Socket option levels and names (Linux's numbers). */
#define SOL_SOCKET      1
#define SO_TYPE         3
#define SO_ERROR        4
#define SO_BROADCAST    6
#define SO_NO_CHECK     11
#define IP_TOS          1
#define IP_TTL          2
#define TCP_NODELAY     1

/* sendto/recvfrom flags. */
#define MSG_PEEK        0x02
#define MSG_TRUNC       0x20
#define MSG_DONTWAIT    0x40
#define MSG_MORE        0x8000

#define INADDR_ANY       0x00000000u
#define INADDR_LOOPBACK  0x7f000001u
#define INADDR_BROADCAST 0xffffffffu

struct in_addr {
  u32_t s_addr;                 /* network byte order */
};

struct sockaddr {
  u16_t sa_family;
  char sa_data[14];
};

struct sockaddr_in {
  u16_t sin_family;             /* AF_INET */
  u16_t sin_port;               /* network byte order */
  struct in_addr sin_addr;
  char sin_zero[8];
};

/* The largest socket address the kernel copies in (Figure 2's `address`). */
#define MAX_SOCK_ADDR   ((int)sizeof(struct sockaddr_in))

struct iovec {
  void *iov_base;
  size_t iov_len;
};

struct msghdr {
  void *msg_name;               /* kernel copy of the address, or NULL */
  int msg_namelen;
  struct iovec *msg_iov;
  size_t msg_iovlen;
  void *msg_control;            /* ancillary data: unused, kept for layout */
  size_t msg_controllen;
  unsigned msg_flags;
};

/* The protocol half of a socket: one table per socket type. Each entry
 * returns 0 or a byte count on success and a negated errno on failure. */
struct proto_ops {
  int family;
  int type;
  int (*create)(struct socket *sock);
  int (*release)(struct socket *sock);
  int (*bind)(struct socket *sock, const struct sockaddr *addr, int addr_len);
  int (*connect)(struct socket *sock, const struct sockaddr *addr, int addr_len, unsigned flags);
  int (*listen)(struct socket *sock, int backlog);
  int (*accept)(struct socket *sock, struct socket **newsock, unsigned flags);
  int (*getname)(struct socket *sock, struct sockaddr_in *addr, int peer);
  long (*sendmsg)(struct socket *sock, struct msghdr *msg, size_t len);
  long (*recvmsg)(struct socket *sock, struct msghdr *msg, size_t len, unsigned flags);
  int (*setsockopt)(struct socket *sock, int level, int optname, const void *optval, int optlen);
  int (*getsockopt)(struct socket *sock, int level, int optname, void *optval, int *optlen);
};

extern const struct proto_ops inet_dgram_ops;
extern const struct proto_ops inet_stream_ops;

/* The protocols' send operations are global, as Linux's udp_sendmsg and
 * tcp_sendmsg are: code customized for one socket may call its protocol's
 * directly instead of through sock->ops (they are in the export table). */
long udp_sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
long tcp_sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
/* A datagram socket's local port, taken on its first send if not bound. */
int udp_sock_autobind(struct socket *sock);
/* A datagram send that ran out of packet buffers: wait and try again. */
long udp_sock_send_wait(struct udp_pcb *pcb, const struct msghdr *msg, size_t len, const ip_addr_t *dst, u16_t port);
/* A stream send off the common path (several buffers, a full send buffer, no connection): the general loop. */
long tcp_sock_send_stream(struct socket *sock, struct msghdr *msg, size_t len);

/* Connection state (Linux's socket_state). */
#define SS_FREE          0
#define SS_UNCONNECTED   1
#define SS_CONNECTING    2
#define SS_CONNECTED     3
#define SS_LISTENING     4
#define SS_DISCONNECTING 5

/* One received datagram, waiting in a datagram socket's ring. */
struct sock_dgram {
  struct pbuf *p;
  ip_addr_t from;
  u16_t from_port;
};

#define SOCK_DGRAM_QLEN   32    /* > LWIP_LOOPBACK_MAX_PBUFS: loopback never overflows it */
#define SOCK_BACKLOG_MAX  4

struct socket {
  u8_t state;                   /* SS_* */
  u8_t eof;                     /* stream: the peer closed its direction */
  short type;                   /* SOCK_DGRAM or SOCK_STREAM */
  const struct proto_ops *ops;
  struct file *file;
  union {
    struct ip_pcb *ip;          /* the fields both protocols share: ttl, tos, so_options */
    struct udp_pcb *udp;
    struct tcp_pcb *tcp;
  } pcb;
  u32_t gen;                    /* bumped by every mutation (see above) */
  int err;                      /* pending asynchronous error (negated errno), 0 if none */

  /* Receive side, filled by lwIP's callbacks when the kernel polls the stack. */
  struct sock_dgram dgram[SOCK_DGRAM_QLEN];
  u8_t dgram_head;
  u8_t dgram_count;
  u32_t dgram_dropped;          /* ring full: counted, as Linux counts rcvbuf drops */
  struct pbuf *stream_rx;       /* stream: received bytes not yet read */
  struct socket *backlog[SOCK_BACKLOG_MAX]; /* listening: established, not yet accepted */
  u8_t backlog_count;
  u8_t backlog_max;
};

#define SOCK_MAX 16

/* Socket objects come from a fixed table: no hidden allocation. */
struct socket *sock_alloc(int type);
void sock_free(struct socket *sock);
void sock_changed(struct socket *sock);

struct socket *sockfd_lookup(int fd, int *err);
int move_addr_to_kernel(const void *uaddr, int ulen, void *kaddr);
int move_addr_to_user(const void *kaddr, int klen, void *uaddr, int *ulen);
long sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
long sock_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, unsigned flags);
int sock_error(err_t err);
int sock_take_error(struct socket *sock);

/* Shared by both protocols (inet.c). */
int inet_addr_from_user(const struct sockaddr *addr, int addr_len, ip_addr_t *ip, u16_t *port);
void inet_addr_to_user(const ip_addr_t *ip, u16_t port, struct sockaddr_in *sin);
int inet_setsockopt_ip(struct socket *sock, int optname, const void *optval, int optlen);
int inet_getsockopt_ip(struct socket *sock, int optname, void *optval, int *optlen);
int inet_getsockopt_socket(struct socket *sock, int optname, void *optval, int *optlen);
int sockopt_get_int(const void *optval, int optlen, int *value);
int sockopt_put_int(int value, void *optval, int *optlen);
int sock_wait(unsigned flags, u32_t since_ms);

#endif
