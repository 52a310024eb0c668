/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): image tags and context
 * hashes. Written for size, not speed: images are verified once. Bytes are
 * shifted into the message words as they arrive (big-endian for free), and
 * one round loop extends the schedule in place in that 16-word ring. */
#include <string.h>
#include "custom.h"

static const bsp_u32 K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const bsp_u32 H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* Three rotations (or, with bit 7 of an amount, a shift) of x, XORed: the
 * four sigma functions of FIPS 180-4 in one routine, amounts packed in spec. */
static bsp_u32 sig(bsp_u32 x, bsp_u32 spec) {
  bsp_u32 r = 0, n;
  for (; spec; spec >>= 8) {
    n = spec & 31;
    r ^= x >> n | (spec & 0x80 ? 0 : x << (32 - n));
  }
  return r;
}

static void block(struct bsp_sha256 *s) {
  bsp_u32 v[8], t, i, *w = s->w, *x;
  memcpy(v, s->h, 32);
  for (i = 0; i < 64; i++) {
    x = w + (i & 15);
    if (i > 15) *x += sig(w[(i + 1) & 15], 0x831207) + w[(i + 9) & 15] + sig(w[(i + 14) & 15], 0x8a1311);
    t = v[7] + sig(v[4], 0x190b06) + (v[6] ^ (v[4] & (v[5] ^ v[6]))) + K[i] + *x;
    memmove(v + 1, v, 28);
    v[4] += t;
    v[0] = t + sig(v[1], 0x160d02) + ((v[1] & v[2]) | (v[3] & (v[1] | v[2])));
  }
  for (i = 0; i < 8; i++) s->h[i] += v[i];
}

void bsp_sha256_init(struct bsp_sha256 *s) {
  memcpy(s->h, H0, 32);
  s->len = 0;
}

void bsp_sha256_update(struct bsp_sha256 *s, const void *data, bsp_u32 len) {
  const bsp_u8 *p = data;
  bsp_u32 *x;
  for (; len; len--) {
    x = s->w + (s->len >> 2 & 15);
    *x = *x << 8 | *p++;
    if (!(++s->len & 63)) block(s);
  }
}

void bsp_sha256_final(struct bsp_sha256 *s, bsp_u8 *out) {
  bsp_u32 len = s->len, i;
  bsp_u8 b = 0x80;
  do {
    bsp_sha256_update(s, &b, 1);
    b = 0;
  } while ((s->len & 63) != 56);
  s->w[14] = len >> 29;
  s->w[15] = len << 3;
  block(s);
  for (i = 0; i < 32; i++) out[i] = (bsp_u8)(s->h[i >> 2] >> (~i & 3) * 8);
}

void bsp_hmac_sha256(const bsp_u8 *key, bsp_u32 key_len, const void *data, bsp_u32 len, bsp_u8 *out) {
  struct bsp_sha256 s;
  bsp_u8 k[64];
  int i, round;
  memset(k, 0, 64);
  if (key_len > 64) {
    bsp_sha256_init(&s);
    bsp_sha256_update(&s, key, key_len);
    bsp_sha256_final(&s, k);
  } else {
    memcpy(k, key, key_len);
  }
  /* inner hash with key ^ 0x36, then outer with key ^ 0x5c (0x36 ^ 0x6a) */
  for (round = 0; round < 2; round++) {
    for (i = 0; i < 64; i++) k[i] ^= round ? 0x6a : 0x36;
    bsp_sha256_init(&s);
    bsp_sha256_update(&s, k, 64);
    bsp_sha256_update(&s, round ? out : data, round ? 32 : len);
    bsp_sha256_final(&s, out);
  }
}
