/* Kernel bring-up: the network stack (and with it the loopback interface). */
#include "kernel.h"

#include "net.h"

int
kernel_init(void)
{
  return net_init();
}
