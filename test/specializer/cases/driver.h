/* Shared by the case drivers: a seeded xorshift generator, so the original
   and the residual see the same dynamic inputs. Compiled by gcc. */
#include <stdlib.h>
static unsigned long long rnd_state = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state >> 16);
}
static int iterations(int argc, char **argv)
{
    if (argc > 2)
        rnd_state ^= strtoull(argv[2], 0, 10) * 0x2545F4914F6CDD1DULL;
    return argc > 1 ? atoi(argv[1]) : 1000;
}
