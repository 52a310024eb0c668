#include <stdio.h>
#include <string.h>
#include "../driver.h"
struct dest { unsigned short family; unsigned short port; unsigned int addr; };
#ifdef RESIDUAL
unsigned int header(const unsigned char *payload, unsigned short len, unsigned char *out);
#define CALL(p, n, o) header(p, n, o)
#else
unsigned int header(const struct dest *cfg, const unsigned char *payload, unsigned short len, unsigned char *out);
static const struct dest cfg = { 2, 7000, 2130706433u };
#define CALL(p, n, o) header(&cfg, p, n, o)
#endif
int main(int argc, char **argv)
{
    int i, j, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        unsigned char payload[300], out[4];
        unsigned short len = (unsigned short)(rnd() % 300);
        unsigned int s;
        for (j = 0; j < len; j++)
            payload[j] = (unsigned char)rnd();
        memset(out, 0, sizeof out);
        s = CALL(payload, len, out);
        printf("%u %u %u %u %u\n", s, out[0], out[1], out[2], out[3]);
    }
    return 0;
}
