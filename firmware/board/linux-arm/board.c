/*
 * A static Linux ARM program (the libc's linux backend): the same kernel
 * and applications as on the bespoke board, to check the arm build under
 * qemu-arm and the VM's linux-user personality. Console output goes to
 * stdout; console input is the command line, one argument per line, since
 * the linux-user personality has no read(). Time from
 * board/virtual/clock.c.
 */
#include <stdlib.h>

#include "bsp.h"
#include "sys.h"

static char **args;
static const char *arg_next;

void
board_console_write(const char *s, size_t n)
{
  __sys_write(1, s, n);
}

int
board_console_getc(void)
{
  if (arg_next == NULL) {
    if (args == NULL || *args == NULL) {
      return -1;
    }
    arg_next = *args++;
  }
  if (*arg_next == '\0') {
    arg_next = NULL;
    return '\n';
  }
  return (unsigned char)*arg_next++;
}

void
board_exit(int status)
{
  exit(status);
}

int
main(int argc, char **argv)
{
  args = argc > 1 ? argv + 1 : NULL;
  return firmware_main();
}
