#include <stdio.h>
#include "../driver.h"
#ifdef RESIDUAL
int power(int x);
#define CALL(x) power(x)
#else
int power(int x, int n);
#define CALL(x) power(x, 13)
#endif
int main(int argc, char **argv)
{
    int i, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        int x = (int)rnd();
        if (i % 3 == 0) x %= 10;
        printf("%d %d\n", x, CALL(x));
    }
    return 0;
}
