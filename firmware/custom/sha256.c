/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): image tags and context
 * hashes. Bytes are shifted into the message words as they arrive
 * (big-endian for free); each block's schedule is extended in place in a
 * 64-word array. */
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

struct state {
  bsp_u32 h[8];
  bsp_u32 len; /* bytes so far */
  bsp_u32 w[64]; /* the block being filled, as big-endian words, then its schedule */
};

/* Written for speed where it matters: the device verifies every image it
 * loads. A rolled, table-driven round in C cost ~57,000 instructions per
 * 64-byte block on the arm VM; the C below, ~9,900 (TinyCC keeps every local
 * in memory and has no rotate); on arm the hand-written A32 block, ~2,850:
 * the tag of a 13 KB image takes ~0.72 M instructions instead of ~2.6 M. */
#ifdef __arm__
/* block(s) in A32 machine code, the assembler listing beside each word
 * (TinyCC has no ARM assembler; GNU as assembled it): r0 = s (h at 0, len at
 * 32, w at 36, as struct state lays them out), the schedule extended in
 * place, a..h in r4-r11, K walked by r1 and w by r0; AAPCS (r4-r11 kept). */
static const bsp_u32 block_arm[] __attribute__((section(".text"))) = {
  0xe92d4ff0, /* push {r4-r11, lr} */
  0xe2801064, /* add r1, r0, #100 */
  0xe2802f49, /* add r2, r0, #292 */
  /* .Lsched: */
  0xe5113008, /* ldr r3, [r1, #-8] */
  0xe511c03c, /* ldr r12, [r1, #-60] */
  0xe1a048e3, /* mov r4, r3, ror #17 */
  0xe02449e3, /* eor r4, r4, r3, ror #19 */
  0xe0244523, /* eor r4, r4, r3, lsr #10 */
  0xe1a053ec, /* mov r5, r12, ror #7 */
  0xe025596c, /* eor r5, r5, r12, ror #18 */
  0xe02551ac, /* eor r5, r5, r12, lsr #3 */
  0xe511301c, /* ldr r3, [r1, #-28] */
  0xe511c040, /* ldr r12, [r1, #-64] */
  0xe0844005, /* add r4, r4, r5 */
  0xe0844003, /* add r4, r4, r3 */
  0xe084400c, /* add r4, r4, r12 */
  0xe4814004, /* str r4, [r1], #4 */
  0xe1510002, /* cmp r1, r2 */
  0x1affffef, /* bne .Lsched */
  0xe1a0c002, /* mov r12, r2 */
  0xe8900ff0, /* ldm r0, {r4-r11} */
  0xe2800024, /* add r0, r0, #36 */
  0xe59f10b4, /* ldr r1, .LK */
  /* .Lround: */
  0xe4902004, /* ldr r2, [r0], #4 */
  0xe4913004, /* ldr r3, [r1], #4 */
  0xe08bb002, /* add r11, r11, r2 */
  0xe08bb003, /* add r11, r11, r3 */
  0xe029200a, /* eor r2, r9, r10 */
  0xe0022008, /* and r2, r2, r8 */
  0xe022200a, /* eor r2, r2, r10 */
  0xe08bb002, /* add r11, r11, r2 */
  0xe1a02368, /* mov r2, r8, ror #6 */
  0xe02225e8, /* eor r2, r2, r8, ror #11 */
  0xe0222ce8, /* eor r2, r2, r8, ror #25 */
  0xe08bb002, /* add r11, r11, r2 */
  0xe087700b, /* add r7, r7, r11 */
  0xe1a02164, /* mov r2, r4, ror #2 */
  0xe02226e4, /* eor r2, r2, r4, ror #13 */
  0xe0222b64, /* eor r2, r2, r4, ror #22 */
  0xe08bb002, /* add r11, r11, r2 */
  0xe1842005, /* orr r2, r4, r5 */
  0xe0022006, /* and r2, r2, r6 */
  0xe0043005, /* and r3, r4, r5 */
  0xe1822003, /* orr r2, r2, r3 */
  0xe08b2002, /* add r2, r11, r2 */
  0xe1a0b00a, /* mov r11, r10 */
  0xe1a0a009, /* mov r10, r9 */
  0xe1a09008, /* mov r9, r8 */
  0xe1a08007, /* mov r8, r7 */
  0xe1a07006, /* mov r7, r6 */
  0xe1a06005, /* mov r6, r5 */
  0xe1a05004, /* mov r5, r4 */
  0xe1a04002, /* mov r4, r2 */
  0xe150000c, /* cmp r0, r12 */
  0x1affffdf, /* bne .Lround */
  0xe2400f49, /* sub r0, r0, #292 */
  0xe890100e, /* ldm r0, {r1, r2, r3, r12} */
  0xe0844001, /* add r4, r4, r1 */
  0xe0855002, /* add r5, r5, r2 */
  0xe0866003, /* add r6, r6, r3 */
  0xe087700c, /* add r7, r7, r12 */
  0xe8a000f0, /* stm r0!, {r4-r7} */
  0xe890100e, /* ldm r0, {r1, r2, r3, r12} */
  0xe0888001, /* add r8, r8, r1 */
  0xe0899002, /* add r9, r9, r2 */
  0xe08aa003, /* add r10, r10, r3 */
  0xe08bb00c, /* add r11, r11, r12 */
  0xe8800f00, /* stm r0, {r8-r11} */
  0xe8bd8ff0, /* pop {r4-r11, pc} */
  /* .LK: */
  (bsp_u32)K, /* .word K */
};

static void block(struct state *s) {
  ((void (*)(struct state *))block_arm)(s);
}
#else
#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void block(struct state *s) {
  bsp_u32 a, b, c, d, e, f, g, h, t, u, *w = s->w;
  int i;
  for (i = 16; i < 64; i++) {
    t = w[i - 2];
    u = w[i - 15];
    w[i] = (ROR(t, 17) ^ ROR(t, 19) ^ t >> 10) + w[i - 7] + (ROR(u, 7) ^ ROR(u, 18) ^ u >> 3) + w[i - 16];
  }
  a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
  e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (i = 0; i < 64; i++) {
    t = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + (g ^ (e & (f ^ g))) + K[i] + w[i];
    u = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) | (c & (a | b)));
    h = g, g = f, f = e, e = d + t;
    d = c, c = b, b = a, a = t + u;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
  s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}
#endif

/* Whole blocks word by word (an image is nearly all whole blocks: ~6
 * instructions a byte on the arm VM instead of ~36), the rest byte by byte. */
static void update(struct state *s, const bsp_u8 *p, bsp_u32 len) {
  bsp_u32 *x, *end;
  while (len) {
    if (!(s->len & 63) && len >= 64) {
      for (x = s->w, end = x + 16; x != end; p += 4) *x++ = (bsp_u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
      s->len += 64;
      len -= 64;
      block(s);
      continue;
    }
    x = s->w + (s->len >> 2 & 15);
    *x = *x << 8 | *p++;
    --len;
    if (!(++s->len & 63)) block(s);
  }
}

void bsp_sha256(const void *a, bsp_u32 alen, const void *b, bsp_u32 blen, bsp_u8 *out) {
  struct state s;
  bsp_u32 i;
  bsp_u8 pad = 0x80;
  memcpy(s.h, H0, 32);
  s.len = 0;
  update(&s, a, alen);
  update(&s, b, blen);
  i = s.len;
  do {
    update(&s, &pad, 1);
    pad = 0;
  } while ((s.len & 63) != 56);
  s.w[14] = i >> 29;
  s.w[15] = i << 3;
  block(&s);
  i = 32;
  while (i--) out[i] = (bsp_u8)(s.h[i >> 2] >> (~i & 3) * 8);
}

/* The inner hash with the key ^ 0x36, then the outer with the key ^ 0x5c
 * (0x36 ^ 0x6a) over the inner digest. */
void bsp_hmac_sha256(const bsp_u8 *key, bsp_u32 key_len, const void *data, bsp_u32 len, bsp_u8 *out) {
  bsp_u8 k[64];
  int i, x = 0x36;
  memset(k, 0, 64);
  if (key_len > 64) bsp_sha256(key, key_len, 0, 0, k);
  else memcpy(k, key, key_len);
  for (;;) {
    i = 64;
    while (i--) k[i] ^= x;
    bsp_sha256(k, 64, data, len, out);
    if (x != 0x36) return;
    x = 0x6a;
    data = out;
    len = 32;
  }
}
