/* The Internet checksum (RFC 1071) over a buffer; with the length static the
   summing loop unrolls. */
unsigned short checksum(const unsigned char *buf, int len)
{
    unsigned long sum = 0;
    int i;
    for (i = 0; i + 1 < len; i += 2)
        sum += (unsigned long)((buf[i] << 8) | buf[i + 1]);
    if (len & 1)
        sum += (unsigned long)(buf[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned short)~sum;
}
