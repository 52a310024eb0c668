#include <stdio.h>
#include "../driver.h"
/* i = 0; acc = a1; while (i < a0) { acc += i * i; i++; } return acc; */
static const int program[] = { 0, 0, 1, 1, 8, 1, 0, 5, 10, 21, 8, 6, 4, 2, 7, 0, 1, 2, 7, 11, 4, 12 };
#ifdef RESIDUAL
int run(int a0, int a1);
#define CALL(a0, a1) run(a0, a1)
#else
int run(const int *code, int a0, int a1);
#define CALL(a0, a1) run(program, a0, a1)
#endif
int main(int argc, char **argv)
{
    int i, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        int a0 = (int)(rnd() % 300) - 20, a1 = (int)rnd();
        printf("%d %d %d\n", a0, a1, CALL(a0, a1));
    }
    return 0;
}
