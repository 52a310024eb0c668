#include <stdio.h>
#include "../driver.h"
#ifdef RESIDUAL
unsigned short checksum(const unsigned char *buf);
#define CALL(buf) checksum(buf)
#else
unsigned short checksum(const unsigned char *buf, int len);
#define CALL(buf) checksum(buf, 41)
#endif
int main(int argc, char **argv)
{
    int i, j, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        unsigned char buf[41];
        for (j = 0; j < 41; j++)
            buf[j] = (unsigned char)(i % 5 == 0 ? 0xff : rnd());
        printf("%u\n", CALL(buf));
    }
    return 0;
}
