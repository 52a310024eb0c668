/* A small program touching what a compiler back end must get right:
 * structs, a switch, a loop and a call through a function pointer. */
struct shape {
  int kind;
  int w, h;
};

static int area_rect(const struct shape *s) { return s->w * s->h; }
static int area_tri(const struct shape *s) { return s->w * s->h / 2; }

int total_area(const struct shape *shapes, int n) {
  int sum = 0;
  for (int i = 0; i < n; i++) {
    int (*area)(const struct shape *);
    switch (shapes[i].kind) {
    case 0: area = area_rect; break;
    case 1: area = area_tri; break;
    default: continue;
    }
    sum += area(&shapes[i]);
  }
  return sum;
}

#ifdef SAMPLE_MAIN
extern int printf(const char *, ...);
int main(void) {
  struct shape s[3] = { { 0, 3, 4 }, { 1, 6, 5 }, { 7, 1, 1 } };
  printf("total area %d\n", total_area(s, 3));
  return total_area(s, 3) == 27 ? 0 : 1;
}
#endif
