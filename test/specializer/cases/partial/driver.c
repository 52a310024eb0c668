#include <stdio.h>
#include <sys/mman.h>
#include "../driver.h"
struct conn { unsigned short mss; unsigned short snd_buf; unsigned int queued; unsigned char ttl; };
/* the device memory of context.json, at its address */
#define CONN ((struct conn *)0x30000000UL)
#ifdef RESIDUAL
int conn_send(unsigned short len);
#define CALL(n) conn_send(n)
#else
int conn_send(struct conn *c, unsigned short len);
#define CALL(n) conn_send(CONN, n)
#endif
int main(int argc, char **argv)
{
    int i, n = iterations(argc, argv);
    if (mmap(CONN, 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != (void *)CONN)
        return 2;
    CONN->mss = 1460;
    CONN->snd_buf = 5840;
    CONN->queued = 0;
    CONN->ttl = 64;
    for (i = 0; i < n; i++) {
        unsigned short len = (unsigned short)(rnd() % 2000);
        int r = CALL(len);
        printf("%d %u %u\n", r, CONN->snd_buf, CONN->queued);
    }
    return 0;
}
