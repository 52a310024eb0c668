/*
 * netperf-like stream tests over loopback: UDP_STREAM and TCP_STREAM, each
 * a sender task and a receiver task. Every byte sent follows a known
 * pattern, so the receiver checks that what arrives is intact and in order.
 * The sender can count the instructions and cycles of each sendto. With
 * the customization subsystem linked, the sender can also send through the
 * paper's interface: do_customize_sendto/do_customize_send once, then
 * customized_sendto/customized_send per message (the generic path until the
 * server's code has arrived, and whenever a guard fails).
 */
#ifndef APPS_NETPERF_H
#define APPS_NETPERF_H

#include "lwip/arch.h"

#define NETPERF_MAX_MSG 2048

struct netperf {
  /* What to run. */
  int type;                     /* SOCK_DGRAM (UDP_STREAM) or SOCK_STREAM (TCP_STREAM) */
  u16_t port;
  u32_t msg_size;               /* bytes per sendto */
  u32_t total;                  /* UDP: datagrams to send; TCP: bytes to send */
  int customized;               /* send through a customization token (BESPOKE_CUSTOM builds) */

  /* What happened. */
  u32_t sent;                   /* UDP: datagrams; TCP: bytes */
  u32_t received;               /* UDP: intact datagrams; TCP: intact bytes */
  u32_t corrupt;                /* UDP: datagrams with a wrong size, source or content; TCP: bytes */
  u32_t would_block;            /* sends that returned EAGAIN/ENOBUFS and were retried */
  int error;                    /* first unexpected result (negated errno), 0 if none */
  int eof;                      /* TCP: the receiver saw the sender's FIN */

  /* Cost of the generic send path, counted around each successful call
   * when the board has counters (measured.calls stays 0 otherwise). */
  struct {
    u32_t calls;
    u32_t cycles;
    u32_t instret;
  } measured;

  /* Task state. */
  int tx_fd;
  int rx_fd;
  int listen_fd;
  int token;                    /* the sender's customization token, when customized */
  int tx_phase;
  int rx_phase;
  /* Word-aligned, as an application's buffers usually are, so copies in
   * the send path run a word at a time. */
  u8_t tx_buf[NETPERF_MAX_MSG];
  u8_t rx_buf[NETPERF_MAX_MSG];
};

/* Start the receiver and sender tasks for `np` (already configured). */
int netperf_start(struct netperf *np);

/* The byte at position `index` of the test pattern. */
u8_t netperf_pattern(u32_t index);

/* Cost of reading the counters twice, subtracted from each measurement. */
void netperf_counter_overhead(u32_t *cycles, u32_t *instret);

#endif
