/* A printf-style formatter over an argument array: %d %u %x %c %s %%, with
   optional '0' flag and width. With the format static no parsing is left. */
static int put_unsigned(char *out, int pos, unsigned v, unsigned base, int width, char pad)
{
    char digits[16];
    int n = 0;
    do {
        unsigned d = v % base;
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v = v / base;
    } while (v != 0);
    while (width > n) {
        out[pos++] = pad;
        width--;
    }
    while (n > 0)
        out[pos++] = digits[--n];
    return pos;
}

int format(char *out, const char *fmt, const int *args, const char *str)
{
    int pos = 0;
    int arg = 0;
    while (*fmt) {
        char c = *fmt++;
        int width = 0;
        char pad = ' ';
        if (c != '%') {
            out[pos++] = c;
            continue;
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        c = *fmt++;
        switch (c) {
        case 'd': {
            int v = args[arg++];
            if (v < 0) {
                out[pos++] = '-';
                pos = put_unsigned(out, pos, 0u - (unsigned)v, 10, width > 0 ? width - 1 : 0, pad);
            } else {
                pos = put_unsigned(out, pos, (unsigned)v, 10, width, pad);
            }
            break;
        }
        case 'u':
            pos = put_unsigned(out, pos, (unsigned)args[arg++], 10, width, pad);
            break;
        case 'x':
            pos = put_unsigned(out, pos, (unsigned)args[arg++], 16, width, pad);
            break;
        case 'c':
            out[pos++] = (char)args[arg++];
            break;
        case 's': {
            const char *s = str;
            while (*s)
                out[pos++] = *s++;
            break;
        }
        default:
            out[pos++] = c;
            break;
        }
    }
    out[pos] = 0;
    return pos;
}
