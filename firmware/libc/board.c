/* The bespoke board backend (docs/board.md): console output on the UART,
   exit through system control, the heap between the image and the stack. */
#include <stdlib.h>
#include "board.h"
#include "sys.h"

/* Bytes kept free below the stack top when the heap grows. */
#define STACK_RESERVE (256 * 1024)

extern char _end[];

long __sys_write(int fd, const void *buf, unsigned long len)
{
    const unsigned char *p = buf;
    unsigned long i;
    (void)fd;
    for (i = 0; i < len; i++)
        BOARD_UART_TXDATA = p[i];
    return len;
}

void __sys_exit(int status)
{
    for (;;)
        BOARD_SYS_EXIT = status;
}

void *__sys_sbrk(unsigned long increment)
{
    static unsigned long end;
    unsigned long old, limit = BOARD_SYS_RAM_SIZE - STACK_RESERVE;
    if (!end)
        end = ((unsigned long)_end + 7) & ~7ul;
    old = end;
    if (increment > limit || old > limit - increment)
        return 0;
    end = old + increment;
    return (void *)old;
}

extern int main(int argc, char **argv);

void __board_start(void)
{
    exit(main(0, 0));
}

/* Reset: sp is already the top of RAM (8-aligned). */
const unsigned _start[] __attribute__((section(".text"))) = {
    0xe51ff004, /* ldr pc, [pc, #-4] */
    (unsigned)__board_start,
};
