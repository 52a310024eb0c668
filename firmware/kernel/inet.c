/*
 * What the datagram and stream protocols share: AF_INET addresses and the
 * options that live in every lwIP pcb (struct ip_pcb: so_options, ttl, tos).
 */
#include "socket.h"

#include <string.h>

#include "lwip/def.h"
#include "lwip/ip.h"

#include "errno.h"

int
inet_addr_from_user(const struct sockaddr *addr, int addr_len, ip_addr_t *ip, u16_t *port)
{
  const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
  if (addr_len < (int)sizeof(struct sockaddr_in)) {
    return -EINVAL;
  }
  if (sin->sin_family != AF_INET) {
    return -EAFNOSUPPORT;
  }
  ip_addr_set_ip4_u32(ip, sin->sin_addr.s_addr);
  *port = lwip_ntohs(sin->sin_port);
  return 0;
}

void
inet_addr_to_user(const ip_addr_t *ip, u16_t port, struct sockaddr_in *sin)
{
  memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_port = lwip_htons(port);
  sin->sin_addr.s_addr = ip_addr_get_ip4_u32(ip);
}

/* An int option value from the caller, checked. */
int
sockopt_get_int(const void *optval, int optlen, int *value)
{
  if (optval == NULL) {
    return -EFAULT;
  }
  if (optlen < (int)sizeof(int)) {
    return -EINVAL;
  }
  memcpy(value, optval, sizeof(int));
  return 0;
}

/* An int option value back to the caller, with its length. */
int
sockopt_put_int(int value, void *optval, int *optlen)
{
  if (optval == NULL || optlen == NULL) {
    return -EFAULT;
  }
  if (*optlen < (int)sizeof(int)) {
    return -EINVAL;
  }
  memcpy(optval, &value, sizeof(int));
  *optlen = (int)sizeof(int);
  return 0;
}

/* IPPROTO_IP options. The values go straight into the pcb, where lwIP's
 * output path reads them for every packet. */
int
inet_setsockopt_ip(struct socket *sock, int optname, const void *optval, int optlen)
{
  int value;
  int err = sockopt_get_int(optval, optlen, &value);
  if (err < 0) {
    return err;
  }
  switch (optname) {
    case IP_TTL:
      if (value < 1 || value > 255) {
        return -EINVAL;
      }
      sock->pcb.ip->ttl = (u8_t)value;
      return 0;
    case IP_TOS:
      if (value < 0 || value > 255) {
        return -EINVAL;
      }
      sock->pcb.ip->tos = (u8_t)value;
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

int
inet_getsockopt_ip(struct socket *sock, int optname, void *optval, int *optlen)
{
  switch (optname) {
    case IP_TTL:
      return sockopt_put_int(sock->pcb.ip->ttl, optval, optlen);
    case IP_TOS:
      return sockopt_put_int(sock->pcb.ip->tos, optval, optlen);
    default:
      return -ENOPROTOOPT;
  }
}

/* SOL_SOCKET options every socket answers. */
int
inet_getsockopt_socket(struct socket *sock, int optname, void *optval, int *optlen)
{
  int err;
  switch (optname) {
    case SO_TYPE:
      return sockopt_put_int(sock->type, optval, optlen);
    case SO_ERROR:
      err = sockopt_put_int(-sock->err, optval, optlen);
      if (err == 0) {
        sock->err = 0;
      }
      return err;
    case SO_BROADCAST:
      return sockopt_put_int(ip_get_option(sock->pcb.ip, SOF_BROADCAST) ? 1 : 0, optval, optlen);
    default:
      return -ENOPROTOOPT;
  }
}
