/* samicap_bytes: prints a sami capability TLV built by sami_samicap_encode,
 * so the interop scripts compare third-party output (lldpd) with our
 * encoder's bytes rather than with a hand-typed copy.
 *
 * usage: samicap_bytes [FORMAT] [KEY=VALUE ...]
 *   FORMAT  oui-info (default): the info after OUI and subtype, as
 *           lldpcli's `custom-tlv ... oui-info` wants it ("01,02,...");
 *           info: the same as plain hex ("0102...", sami-sniff's "info");
 *           tlv: the whole TLV, header included, plain hex
 *   role=N (2)  di=N (0x1fe)  bind=N (3: TCP+L2)  port=N (5757)
 *   addr=IPv4|IPv6|none (192.0.2.1)  mac=XX:XX:XX:XX:XX:XX (02:53:4d:00:00:01)
 *   oui=N (0x0a534d)
 * Numbers are strtoul base 0. Exit 0, or 2 on a bad argument or a value the
 * encoder refuses (its error is printed). */
#define _POSIX_C_SOURCE 200112L

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/samicap.h"

static int num(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 0);
    if (!*s || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static int usage(const char *what)
{
    fprintf(stderr, "samicap_bytes: bad argument '%s' (see the comment at the top of "
                    "tests/interop/samicap_bytes.c)\n", what);
    return 2;
}

int main(int argc, char **argv)
{
    struct sami_samicap c;
    memset(&c, 0, sizeof c);
    c.version = SAMI_SAMICAP_VERSION;
    c.role = SAMI_SAMICAP_ROLE_BRIDGE;
    c.di_types = 0x1FEu;
    c.bindings = SAMI_SAMICAP_BIND_TCP | SAMI_SAMICAP_BIND_L2;
    c.tcp_port = 5757;
    c.family = SAMI_SAMICAP_AF_IPV4;
    static const uint8_t addr4[4] = {192, 0, 2, 1};
    static const uint8_t mac0[6] = {0x02, 0x53, 0x4d, 0x00, 0x00, 0x01};
    memcpy(c.addr, addr4, 4);
    memcpy(c.l2_mac, mac0, 6);
    unsigned long oui = SAMI_SAMICAP_OUI_DEFAULT;
    const char *format = "oui-info";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        unsigned long v;
        if (!eq) {
            if (strcmp(a, "oui-info") && strcmp(a, "info") && strcmp(a, "tlv"))
                return usage(a);
            format = a;
        } else if (!strncmp(a, "role=", 5)) {
            if (num(eq + 1, 0xff, &v))
                return usage(a);
            c.role = (uint8_t)v;
        } else if (!strncmp(a, "di=", 3)) {
            if (num(eq + 1, 0xffffffffUL, &v))
                return usage(a);
            c.di_types = (uint32_t)v;
        } else if (!strncmp(a, "bind=", 5)) {
            if (num(eq + 1, 0xff, &v))
                return usage(a);
            c.bindings = (uint8_t)v;
        } else if (!strncmp(a, "port=", 5)) {
            if (num(eq + 1, 0xffff, &v))
                return usage(a);
            c.tcp_port = (uint16_t)v;
        } else if (!strncmp(a, "oui=", 4)) {
            /* wider than 24 bits is passed on: the encoder's INVAL is the
             * answer we want to see, not ours */
            if (num(eq + 1, 0xffffffffUL, &v))
                return usage(a);
            oui = v;
        } else if (!strncmp(a, "addr=", 5)) {
            memset(c.addr, 0, sizeof c.addr);
            if (!strcmp(eq + 1, "none"))
                c.family = SAMI_SAMICAP_AF_NONE;
            else if (inet_pton(AF_INET, eq + 1, c.addr) == 1)
                c.family = SAMI_SAMICAP_AF_IPV4;
            else if (inet_pton(AF_INET6, eq + 1, c.addr) == 1)
                c.family = SAMI_SAMICAP_AF_IPV6;
            else
                return usage(a);
        } else if (!strncmp(a, "mac=", 4)) {
            if (parse_mac(eq + 1, c.l2_mac))
                return usage(a);
        } else {
            return usage(a);
        }
    }

    uint8_t tlv[64];
    size_t len = 0;
    int rc = sami_samicap_encode(&c, (uint32_t)oui, tlv, sizeof tlv, &len);
    if (rc) {
        fprintf(stderr, "samicap_bytes: sami_samicap_encode: %s\n", sami_strerror(rc));
        return 2;
    }
    /* header(2) + OUI(3) + subtype(1) precede the info string */
    size_t from = strcmp(format, "tlv") ? 6 : 0;
    const char *sep = strcmp(format, "oui-info") ? "" : ",";
    for (size_t i = from; i < len; i++)
        printf("%s%02x", i > from ? sep : "", tlv[i]);
    putchar('\n');
    return 0;
}
