/*
 * Kernel bring-up and the polling that drives everything outside the tasks.
 */
#include "kernel.h"

#include "net.h"

#ifdef BESPOKE_CUSTOM
#include "custom.h"
#endif

int
kernel_init(void)
{
  return net_init();
}

int
kernel_poll(void)
{
  int done = net_poll();
#ifdef BESPOKE_CUSTOM
  /* Images, FETCH and CALL requests from the server arrive while tasks run
   * or wait; serving them here keeps a waiting device answering. */
  while (bsp_chan_poll()) {
    done = 1;
  }
#endif
  return done;
}
