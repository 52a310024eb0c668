/* The Linux ARM EABI backend: the process entry point and write/exit/brk
   through `svc 0`, for qemu-arm and the VM's linux-user personality. */
#include <stdlib.h>
#include "sys.h"

typedef long (*syscall_fn)(long nr, long a, long b, long c);

/* syscall(nr, a, b, c): r7 = nr, r0-r2 = a-c, svc 0 */
static const unsigned syscall_code[] __attribute__((section(".text"))) = {
    0xe92d4080, /* push {r7, lr}  */
    0xe1a07000, /* mov r7, r0     */
    0xe1a00001, /* mov r0, r1     */
    0xe1a01002, /* mov r1, r2     */
    0xe1a02003, /* mov r2, r3     */
    0xef000000, /* svc 0          */
    0xe8bd8080, /* pop {r7, pc}   */
};
#define syscall ((syscall_fn)(void *)syscall_code)

enum { SYS_exit = 1, SYS_write = 4, SYS_brk = 45, SYS_exit_group = 248 };

long __sys_write(int fd, const void *buf, unsigned long len)
{
    return syscall(SYS_write, fd, (long)buf, len);
}

void __sys_exit(int status)
{
    for (;;)
        syscall(SYS_exit_group, status, 0, 0);
}

void *__sys_sbrk(unsigned long increment)
{
    static unsigned long end;
    unsigned long old;
    if (!end)
        end = syscall(SYS_brk, 0, 0, 0);
    old = end;
    if ((unsigned long)syscall(SYS_brk, old + increment, 0, 0) != old + increment)
        return 0;
    end = old + increment;
    return (void *)old;
}

extern int main(int argc, char **argv);

/* Called by _start with the initial stack: argc, argv[], NULL, envp[]. */
void __libc_start(long *sp)
{
    exit(main((int)sp[0], (char **)(sp + 1)));
}

const unsigned _start[] __attribute__((section(".text"))) = {
    0xe1a0000d, /* mov r0, sp          */
    0xe3cdd007, /* bic sp, sp, #7      */
    0xe51ff004, /* ldr pc, [pc, #-4]   */
    (unsigned)__libc_start,
};
