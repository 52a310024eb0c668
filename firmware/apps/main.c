/*
 * The firmware's application: a console command loop. The host (VM or the
 * process that runs the native build) writes commands to the console input;
 * each is run and its output printed. When input runs out the firmware
 * exits with the status of the last command.
 */
#include <string.h>

#include "bsp.h"
#include "kernel.h"
#include "selftest.h"

#define LINE_MAX 64

#ifdef BESPOKE_CUSTOM
int e2e_command(char *line); /* e2e.c */
#endif

/* One line of console input, without its newline; -1 at end of input. */
static int
read_line(char *line, int size)
{
  int n = 0;
  int c = board_console_getc();
  if (c < 0) {
    return -1;
  }
  while (c >= 0 && c != '\n') {
    if (c != '\r' && n < size - 1) {
      line[n++] = (char)c;
    }
    c = board_console_getc();
  }
  line[n] = '\0';
  return n;
}

int
firmware_main(void)
{
  char line[LINE_MAX];
  int status = 0;
  int err = kernel_init();
  if (err != 0) {
    printk("kernel_init failed: %d\n", err);
    return 1;
  }
  while (read_line(line, LINE_MAX) >= 0) {
    if (line[0] == '\0') {
      continue;
    }
    if (strcmp(line, "selftest") == 0) {
      status = selftest_run(NULL) != 0;
    } else if (strncmp(line, "selftest ", 9) == 0) {
      status = selftest_run(line + 9) != 0;
#ifdef BESPOKE_CUSTOM
    } else if (e2e_command(line)) {
      status = 0;
#endif
    } else {
      printk("unknown command: %s (commands: selftest [NAME])\n", line);
      status = 2;
    }
  }
  return status;
}
