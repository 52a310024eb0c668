#include <stdio.h>
#include "../driver.h"
#ifdef RESIDUAL
int glob(const char *s);
#define CALL(s) glob(s)
#else
int glob(const char *p, const char *s);
#define CALL(s) glob("a*[b-d]?x*[!ab]", s)
#endif
int main(int argc, char **argv)
{
    int i, j, n = iterations(argc, argv);
    for (i = 0; i < n; i++) {
        char s[16];
        int len = (int)(rnd() % 15);
        for (j = 0; j < len; j++)
            s[j] = "abcdxyz"[rnd() % 7];
        if (len > 0 && rnd() % 2)
            s[0] = 'a';
        s[len] = 0;
        printf("%s %d\n", s, CALL(s));
    }
    return 0;
}
