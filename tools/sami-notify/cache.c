/* The bridge's LLDPDU kept between runs (see notify.h). The file is text:
 *   sami-notify-lldp 1 HEARD TTL SENT
 *   <the bridge's LLDP frame in hex>
 * HEARD / SENT are wall-clock seconds (the monotonic clock does not survive
 * a reboot, and a file does). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

#define OUR_TTL 120   /* what lldp_station_frame announces */
#define MARGIN 5      /* seconds of slack for clock steps and slow runs */

static int path(char *buf, size_t cap, const char *dir, const char *ifname, const uint8_t m[6])
{
    int n = snprintf(buf, cap, "%s/lldp-%s-%02x%02x%02x%02x%02x%02x", dir, ifname, m[0], m[1],
                     m[2], m[3], m[4], m[5]);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int cache_load(const char *dir, const char *ifname, const uint8_t mac[6], const uint8_t oui[3],
               struct lldp_peer *peer)
{
    char p[4096];
    if (!dir || !*dir || path(p, sizeof p, dir, ifname, mac))
        return 0;
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    long long heard = 0, sent = 0;
    unsigned ttl = 0;
    char hex[4096];
    int ok = fscanf(f, "sami-notify-lldp 1 %lld %u %lld %4095s", &heard, &ttl, &sent, hex) == 4;
    fclose(f);
    if (!ok)
        return 0;
    long long now = (long long)time(NULL);
    if (now < heard || now + MARGIN >= heard + (long long)ttl || now + MARGIN >= sent + OUR_TTL)
        return 0;
    uint8_t frame[2048];
    size_t n = strlen(hex) / 2;
    if (n > sizeof frame)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int a = hexval(hex[2 * i]), b = hexval(hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return 0;
        frame[i] = (uint8_t)(a << 4 | b);
    }
    return lldp_station_parse(frame, n, oui, peer) == 1;
}

void cache_store(const char *dir, const char *ifname, const uint8_t mac[6], const uint8_t *frame,
                 size_t len)
{
    char p[4096], tmp[4200];
    if (!dir || !*dir || path(p, sizeof p, dir, ifname, mac))
        return;
    long long heard = 0, sent = (long long)time(NULL);
    unsigned ttl = 0;
    static char hex[4096];
    if (!frame) {
        /* keep the stored bridge frame, refresh our send time */
        FILE *f = fopen(p, "r");
        int ok = f && fscanf(f, "sami-notify-lldp 1 %lld %u %*d %4095s", &heard, &ttl, hex) == 3;
        if (f)
            fclose(f);
        if (!ok)
            return;
    } else {
        if (len * 2 >= sizeof hex || len < 14)
            return;
        for (size_t i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", frame[i]);
        heard = sent;
        struct lldp_peer pr;
        static const uint8_t any_oui[3] = {0x0a, 0x53, 0x4d};
        if (lldp_station_parse(frame, len, any_oui, &pr) != 1)
            return;
        ttl = pr.ttl;
    }
    /* Best effort: without the directory every run just asks the bridge. */
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return;
    if (snprintf(tmp, sizeof tmp, "%s.%ld", p, (long)getpid()) >= (int)sizeof tmp)
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    int bad = fprintf(f, "sami-notify-lldp 1 %lld %u %lld\n%s\n", heard, ttl, sent, hex) < 0;
    bad |= fclose(f) != 0;
    /* rename: a concurrent run reads the old file or the new one, never half */
    if (bad || rename(tmp, p) != 0)
        unlink(tmp);
}

void cache_drop(const char *dir, const char *ifname, const uint8_t mac[6])
{
    char p[4096];
    if (dir && *dir && !path(p, sizeof p, dir, ifname, mac))
        unlink(p);
}
