#include <stdio.h>
#include "../driver.h"
#ifdef RESIDUAL
int format(char *out, const int *args, const char *str);
#define CALL(out, args, str) format(out, args, str)
#else
int format(char *out, const char *fmt, const int *args, const char *str);
#define CALL(out, args, str) format(out, "id=%d len=%5u flags=%08x tag=%c name=%s 100%%\n", args, str)
#endif
int main(int argc, char **argv)
{
    int i, j, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        char out[256], str[12];
        int args[4], len = (int)(rnd() % 11), r;
        for (j = 0; j < 4; j++)
            args[j] = (int)rnd() >> (rnd() % 32);
        args[3] = 'A' + (int)(rnd() % 26);
        for (j = 0; j < len; j++)
            str[j] = (char)('a' + rnd() % 26);
        str[len] = 0;
        r = CALL(out, args, str);
        printf("%d %s", r, out);
    }
    return 0;
}
