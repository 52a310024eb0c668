/*
 * lwIP configuration for the bespoke device: the raw API only (NO_SYS=1),
 * IPv4 with UDP and TCP, and the loopback interface the self tests and the
 * netperf-like applications run over. The kernel (firmware/kernel/) is the
 * only user of lwIP; applications reach it through the socket system calls.
 *
 * Sizes are chosen so that the loopback queue, not a socket's receive ring,
 * is what runs out first: a sender then sees ENOBUFS and retries, and no
 * datagram is ever dropped between two tasks on the same device.
 */
#ifndef BESPOKE_LWIPOPTS_H
#define BESPOKE_LWIPOPTS_H

/* One thread of control, no interrupts: the kernel polls the stack. */
#define NO_SYS                          1
#define SYS_LIGHTWEIGHT_PROT            0
#define LWIP_TIMERS                     1

/* Memory: a fixed heap for PBUF_RAM (loopback copies every packet into it)
 * and fixed pools; nothing comes from a libc allocator. */
/* 8: pointers on the x86_64 host build, 64-bit fields under the ARM EABI. */
#define MEM_ALIGNMENT                   8
#define MEM_SIZE                        (96 * 1024)
#define MEMP_NUM_PBUF                   32
#define PBUF_POOL_SIZE                  8
#define MEMP_NUM_UDP_PCB                8
#define MEMP_NUM_TCP_PCB                8
#define MEMP_NUM_TCP_PCB_LISTEN         4
#define MEMP_NUM_TCP_SEG                48

/* Protocols: IPv4, UDP, TCP; ICMP answers port-unreachable. Nothing that
 * needs an Ethernet link or a name server. */
#define LWIP_IPV4                       1
#define LWIP_IPV6                       0
#define LWIP_ARP                        0
#define LWIP_ETHERNET                   0
#define LWIP_ICMP                       1
#define LWIP_RAW                        0
#define LWIP_UDP                        1
#define LWIP_TCP                        1
#define LWIP_DHCP                       0
#define LWIP_AUTOIP                     0
#define LWIP_IGMP                       0
#define LWIP_DNS                        0
#define IP_REASSEMBLY                   0
#define IP_FRAG                         0

/* No link header in front of IP (loopback only): packet buffers then keep
 * IP headers and payloads 4-byte aligned, and copies run a word at a time. */
#define PBUF_LINK_HLEN                  0

/* The checksum loop that sums 32-bit words: the CPU is 32-bit and, under
 * TinyCC, each loop iteration costs about as much as the bytes it adds. */
#define LWIP_CHKSUM_ALGORITHM           3

/* TCP: a full-size MSS over loopback, a window of four segments. Out-of-order
 * queueing cannot happen on loopback, so it is left out. */
#define TCP_MSS                         1460
#define TCP_WND                         (4 * TCP_MSS)
#define TCP_SND_BUF                     (4 * TCP_MSS)
#define TCP_SND_QUEUELEN                (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ                 0
#define LWIP_TCP_KEEPALIVE              0
#define LWIP_CALLBACK_API               1

/* Loopback: 127.0.0.1 on its own netif, polled by the kernel. */
#define LWIP_NETIF_LOOPBACK             1
#define LWIP_HAVE_LOOPIF                1
#define LWIP_LOOPBACK_MAX_PBUFS         16
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0

/* Every netif change (add, remove, up/down, address) bumps the kernel's
 * route generation, which guards specialized code that assumed a route. */
#define LWIP_NETIF_EXT_STATUS_CALLBACK  1

/* The kernel implements the socket layer itself, over the raw API. */
#define LWIP_NETCONN                    0
#define LWIP_SOCKET                     0
#define LWIP_NETIF_API                  0
#define LWIP_STATS                      0

/* Assertions check lwIP's invariants in the host builds (unit tests, ASan,
 * UBSan). The arm images are the device's release build and leave them
 * out, as a production stack does: on a CPU without a divide instruction
 * their `% MEM_ALIGNMENT` tests are library calls in every allocation. */
#ifdef __arm__
#define LWIP_NOASSERT
#endif

#endif
