/* x to the n by repeated squaring: with n static the loop unrolls into a
   straight line of multiplies. */
int power(int x, int n)
{
    int r = 1;
    while (n > 0) {
        if (n & 1)
            r = r * x;
        x = x * x;
        n = n >> 1;
    }
    return r;
}
