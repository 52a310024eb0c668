// Scratch mode's starting example: the classic `power`, specialized for a
// static exponent, with a main that checks the residual function against
// the generic one on the virtual device.
export const POWER_SOURCE = `/* power: x to the n by repeated squaring.
 * The scenario makes n static: the loop unrolls away. */
int power(int x, int n) {
  int r = 1;
  while (n > 0) {
    if (n & 1)
      r = r * x;
    x = x * x;
    n = n >> 1;
  }
  return r;
}

#include <stdio.h>
int power_5(int x); /* the residual function (residual.c) */

int main(void) {
  int x;
  for (x = 0; x < 6; x++)
    printf("power(%d, 5) = %d, power_5(%d) = %d\\n", x, power(x, 5), x, power_5(x));
  return 0;
}
`;

export const POWER_SCENARIO = `{
  "version": 1,
  "entry": "power",
  "residualName": "power_5",
  "params": { "x": "D", "n": "S" }
}
`;

export const POWER_CONTEXT = `{
  "params": { "n": 5 }
}
`;
