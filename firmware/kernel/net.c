/*
 * lwIP bring-up and polling. lwIP runs with NO_SYS=1: it has no thread of
 * its own, so packets queued on the loopback interface are only delivered
 * and its timers (TCP's 250 ms fast timer flushes delayed ACKs) only fire
 * when the kernel calls net_poll. The scheduler calls it between task
 * steps; blocking socket calls call it while they wait.
 */
#include "net.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"

#include "bsp.h"
#include "errno.h"
#include "file.h"

u32_t net_gen = 1;

NETIF_DECLARE_EXT_CALLBACK(net_netif_watch)

static void
net_netif_changed(struct netif *netif, netif_nsc_reason_t reason, const netif_ext_callback_args_t *args)
{
  LWIP_UNUSED_ARG(netif);
  LWIP_UNUSED_ARG(reason);
  LWIP_UNUSED_ARG(args);
  net_gen++;
  files_changed();
}

int
net_init(void)
{
  lwip_init();
  netif_add_ext_callback(&net_netif_watch, net_netif_changed);
  return 0;
}

/* lwIP's clock: board time, in milliseconds. */
u32_t
sys_now(void)
{
  return board_time_ms();
}

/* Deliver what the loopback interface holds and run due timers.
 * Returns 1 if any packet was delivered (someone may now make progress). */
int
net_poll(void)
{
  struct netif *netif;
  int delivered = 0;
  NETIF_FOREACH(netif) {
    if (netif->loop_first != NULL) {
      delivered = 1;
    }
  }
  if (delivered) {
    netif_poll_all();
  }
  sys_check_timeouts();
  return delivered;
}

/* Nothing to do until lwIP's next timer: sleep until then (at most max_ms)
 * and run it. Returns 0 when no timer is pending, i.e. nothing will ever
 * happen by waiting. */
int
net_idle(u32_t max_ms)
{
  u32_t sleep_ms = sys_timeouts_sleeptime();
  if (sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
    return 0;
  }
  if (sleep_ms > max_ms) {
    sleep_ms = max_ms;
  }
  if (sleep_ms > 0) {
    board_sleep_ms(sleep_ms);
  }
  sys_check_timeouts();
  return 1;
}
