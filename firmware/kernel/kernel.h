/*
 * Kernel bring-up and console output.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

int kernel_init(void);

/* Everything that happens outside the tasks: loopback delivery and lwIP's
 * timers, and, with the customization subsystem, messages from the
 * customization server. Returns 1 if anything was done. */
int kernel_poll(void);

/* Console output, printf-style: %d %u %x %s %c with an optional l
 * (long) and a field width; nothing else, no floating point. */
void printk(const char *fmt, ...);

/* An invariant does not hold (lwIP's assertions land here too): report
 * where, and stop the board. */
void kernel_panic(const char *what, const char *file, int line);

#endif
