/* Logging: stderr (foreground) or syslog (daemon), four levels, and a rate
 * limit per kind of event so that a flood of bad frames cannot flood the
 * log (every refusal is logged, but a storm of the same one is summarised). */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "samid.h"

static int g_level = SAMID_LOG_INFO;
static int g_syslog;
static uint64_t g_suppressed;

void slog_init(int level, int to_syslog)
{
    g_level = level;
    g_syslog = to_syslog;
    if (to_syslog)
        openlog("samid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void slog_set_level(int level)
{
    g_level = level;
}

int slog_level(void)
{
    return g_level;
}

uint64_t slog_suppressed(void)
{
    return g_suppressed;
}

static void vlog(int level, const char *prefix, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const char *const name[] = {"error", "warn", "info", "debug"};
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (level < 0)
        level = 0;
    if (level > 3)
        level = 3;
    if (g_syslog) {
        syslog(prio[level], "%s%s", prefix, msg);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%02d:%02d:%02d.%03ld samid %s: %s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, name[level], prefix, msg);
}

void slog(int level, const char *fmt, ...)
{
    if (level > g_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, "", fmt, ap);
    va_end(ap);
}

/* Token bucket per key: a small fixed table; a key that does not fit
 * shares the last slot (still limited, just coarser). Keys are per kind
 * of event and per port: ~50 kinds for a few ports fit. */
#define RL_SLOTS 256
#define RL_BURST 5.0
#define RL_PERIOD_US 2000000.0

struct rl {
    char key[48];
    double tokens;
    uint64_t at;
    uint64_t dropped;
};

static struct rl rl_tab[RL_SLOTS];

void slog_rl(int level, const char *key, const char *fmt, ...)
{
    if (level > g_level)
        return;
    struct rl *r = NULL;
    for (size_t i = 0; i < RL_SLOTS; i++) {
        if (!rl_tab[i].key[0]) {
            r = &rl_tab[i];
            snprintf(r->key, sizeof r->key, "%s", key);
            r->tokens = RL_BURST;
            r->at = mono_us();
            break;
        }
        if (!strncmp(rl_tab[i].key, key, sizeof rl_tab[i].key - 1)) {
            r = &rl_tab[i];
            break;
        }
    }
    if (!r)
        r = &rl_tab[RL_SLOTS - 1];
    uint64_t now = mono_us();
    r->tokens += (double)(now - r->at) / RL_PERIOD_US;
    if (r->tokens > RL_BURST)
        r->tokens = RL_BURST;
    r->at = now;
    if (r->tokens < 1.0) {
        r->dropped++;
        g_suppressed++;
        return;
    }
    r->tokens -= 1.0;
    char prefix[96] = "";
    if (r->dropped) {
        snprintf(prefix, sizeof prefix, "(%llu similar suppressed) ",
                 (unsigned long long)r->dropped);
        r->dropped = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(level, prefix, fmt, ap);
    va_end(ap);
}

const char *hexmac(const uint8_t m[6], char buf[18])
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

const char *uuidstr(const uint8_t u[16], char buf[37])
{
    snprintf(buf, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    return buf;
}

const char *bridgeidstr(const struct sami_xfer_bridge_id *id, char buf[24])
{
    const uint8_t *m = id->mac;
    snprintf(buf, 24, "%04x:%02x:%02x:%02x:%02x:%02x:%02x", id->priority, m[0], m[1], m[2], m[3],
             m[4], m[5]);
    return buf;
}
