/* Glob matching with '*', '?' and [a-z] classes, iterative with one
   backtracking point. With the pattern static only character tests remain. */
static int class_match(const char *p, char c, const char **end)
{
    int ok = 0;
    int negate = 0;
    p++;
    if (*p == '!') {
        negate = 1;
        p++;
    }
    while (*p && *p != ']') {
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if (c >= p[0] && c <= p[2])
                ok = 1;
            p += 3;
        } else {
            if (c == *p)
                ok = 1;
            p++;
        }
    }
    *end = *p ? p + 1 : p;
    return ok != negate;
}

int glob(const char *p, const char *s)
{
    const char *star_p = 0;
    const char *star_s = 0;
    const char *next;
    while (*s) {
        if (*p == '*') {
            star_p = ++p;
            star_s = s;
        } else if (*p == '[' && class_match(p, *s, &next)) {
            p = next;
            s++;
        } else if (*p != '[' && *p != 0 && (*p == '?' || *p == *s)) {
            p++;
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == 0;
}
