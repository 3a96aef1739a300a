/* samid: the sami bridge agent (docs/SAMID.md).
 *
 *   samid -c FILE [--foreground] [--check-config] [--pidfile P] [-v]
 *
 * One thread, one poll() loop. Its timeout is the earliest of the node's
 * next deadline, LLDP's, the transfer connectors' and the shutdown's; time
 * is CLOCK_MONOTONIC in µs (sami_usec_t). Signals only set flags (through a
 * self-pipe that wakes poll): SIGHUP reloads, SIGTERM / SIGINT abort the
 * pending migrations cleanly and exit 0. */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"
#include "samid.h"
#include "sami/memstore.h"

#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2
#define SHUTDOWN_GRACE SAMI_SEC(1)

static struct samid daemon_state;
struct samid *D = &daemon_state;

static int sigpipe_fd[2] = {-1, -1};
static volatile sig_atomic_t sig_hup, sig_term;
static int reload_requested;
static int g_verbose; /* -v: debug logging whatever log.level says */

uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void samid_request_reload(void)
{
    reload_requested = 1;
}

static void on_signal(int s)
{
    int e = errno;
    if (s == SIGHUP)
        sig_hup = 1;
    else
        sig_term = 1;
    char c = (char)s;
    if (sigpipe_fd[1] >= 0)
        (void)!write(sigpipe_fd[1], &c, 1);
    errno = e;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: samid -c FILE [--foreground] [--check-config] [--pidfile FILE] [-v]\n"
            "\n"
            "samid is the sami bridge agent: it runs VDP (with the sami notification and\n"
            "feedback TLVs) with the hypervisors behind its downlinks, learns DHCP bindings,\n"
            "keeps the DI of the VMs it serves and transfers it to and from peer bridges\n"
            "when a VM migrates (IEEE 802.1Qbg; docs/SAMID.md, samid(8)).\n"
            "\n"
            "  -c, --config FILE   configuration file (docs/SAMID-CONFIG.md); required\n"
            "  -f, --foreground    stay in the foreground and log to standard error\n"
            "                      (default: detach and log to syslog)\n"
            "  -t, --check-config  check the configuration and the preload file it names,\n"
            "                      print FILE:LINE errors, exit 0 (good) or 2 (bad)\n"
            "  -p, --pidfile FILE  write the process id to FILE\n"
            "  -v, --verbose       log at debug level (overrides log.level)\n"
            "  -h, --help          this help\n"
            "  -V, --version       print the version\n"
            "\n"
            "Signals: SIGHUP reloads the configuration (keys at once; peers, limits and\n"
            "deadlines once no migration is in progress; downlink, bridge and transfer\n"
            "listener changes need a restart, as the log says). SIGTERM aborts pending\n"
            "migrations (the source keeps its DI, peers and hypervisors are told) and\n"
            "exits 0.\n"
            "\n"
            "Exit status: 0 stopped by SIGTERM/SIGINT or configuration good (--check-config);\n"
            "1 runtime error (interface, socket, permission); 2 usage or configuration error.\n"
            "Needs CAP_NET_RAW (capture, injection) and CAP_NET_ADMIN (promiscuous mode).\n"
            "Control it with samictl(1).\n");
}

/* The preload file, checked into a throwaway store (--check-config). */
static void *m_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}

static void m_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static int check_preload(const struct samid_config *c, char *err, size_t errlen,
                         size_t *records)
{
    *records = 0;
    if (!c->preload)
        return 0;
    struct sami_memstore_config mc;
    memset(&mc, 0, sizeof mc);
    mc.alloc.alloc = m_alloc;
    mc.alloc.free = m_free;
    struct sami_memstore *ms;
    if (sami_memstore_create(&mc, &ms) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct sami_store s = sami_memstore_store(ms);
    struct samid_preload_stats st;
    int rc = samid_preload_load(c->preload, &s, 1, &st, err, errlen);
    *records = st.records;
    sami_memstore_destroy(ms);
    return rc;
}

static int write_pidfile(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    char b[32];
    int n = snprintf(b, sizeof b, "%ld\n", (long)getpid());
    int rc = write(fd, b, (size_t)n) == n ? 0 : -1;
    close(fd);
    return rc;
}

static int detach(void)
{
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    p = fork();
    if (p < 0)
        return -1;
    if (p > 0)
        _exit(0);
    if (chdir("/") != 0)
        return -1;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

/* ---------------------------------------------------------------- reload */

static int peers_equal(const struct samid_config *a, const struct samid_config *b)
{
    if (a->n_peers != b->n_peers)
        return 0;
    for (size_t i = 0; i < a->n_peers; i++) {
        const struct samid_peer *x = &a->peers[i], *y = &b->peers[i];
        if (memcmp(&x->id, &y->id, sizeof x->id) || strcmp(x->name, y->name) ||
            memcmp(x->chassis_id, y->chassis_id, 6) || x->binding != y->binding ||
            x->port != y->port || memcmp(x->l2_mac, y->l2_mac, 6) ||
            strcmp(x->host ? x->host : "", y->host ? y->host : ""))
            return 0;
    }
    return 1;
}

static int keys_equal(const struct samid_config *a, const struct samid_config *b)
{
    if (a->n_keys != b->n_keys || a->tx_key_id != b->tx_key_id)
        return 0;
    for (size_t i = 0; i < a->n_keys; i++) {
        const struct samid_key *x = &a->keys[i], *y = &b->keys[i];
        if (x->key.id != y->key.id || x->key.len != y->key.len ||
            memcmp(x->key.bytes, y->key.bytes, x->key.len) || x->has_not_before != y->has_not_before ||
            x->not_before != y->not_before || x->has_not_after != y->has_not_after ||
            x->not_after != y->not_after || x->tx != y->tx)
            return 0;
    }
    return 1;
}

static int downlink_set_equal(const struct samid_config *a, const struct samid_config *b)
{
    if (a->n_downlinks != b->n_downlinks)
        return 0;
    for (size_t i = 0; i < a->n_downlinks; i++)
        if (strcmp(a->downlinks[i].ifname, b->downlinks[i].ifname) ||
            a->downlinks[i].dhcp_snooping != b->downlinks[i].dhcp_snooping)
            return 0;
    return 1;
}

static int transfer_equal(const struct samid_config *a, const struct samid_config *b)
{
    const char *aa = a->transfer.advertise ? a->transfer.advertise : "";
    const char *ba = b->transfer.advertise ? b->transfer.advertise : "";
    return !strcmp(a->transfer.listen, b->transfer.listen) && a->transfer.port == b->transfer.port &&
           a->transfer.binding == b->transfer.binding && a->transfer.mtu == b->transfer.mtu &&
           !strcmp(a->transfer.interface, b->transfer.interface) && !strcmp(aa, ba) &&
           a->transfer.l2_used == b->transfer.l2_used;
}

static void set_keys(const struct samid_config *c)
{
    struct sami_xfer_keyring kr;
    uint16_t tx;
    samid_config_keyring(c, (int64_t)time(NULL), D->now / 1000u, &kr, &tx);
    /* The node hands its transfer engine out read-only; a key roll is the
     * engine's own operation (bridge.c explains). */
    struct sami_xfer_engine *x = (struct sami_xfer_engine *)sami_node_bridge_xfer(D->node);
    int rc = x ? sami_xfer_engine_set_keyring(x, &kr, tx) : SAMI_ERR_STATE;
    sami_secure_zero(&kr, sizeof kr);
    if (rc)
        slog(SAMID_LOG_ERROR, "reload: the transfer engine refused the new keys: %s",
             sami_strerror(rc));
    else
        slog(SAMID_LOG_INFO, "reload: transfer keys replaced (%zu key%s, tx key %u)", c->n_keys,
             c->n_keys == 1 ? "" : "s", tx);
}

/* Takes n (heap) into D->cfg; the old configuration is freed. The node has
 * already been rebuilt if it had to be. */
static void adopt(struct samid_config *n)
{
    struct samid_config old = D->cfg;
    D->cfg = *n;
    free(n);
    for (size_t i = 0; i < D->ndl; i++)
        D->dl[i].cfg = &D->cfg.downlinks[i];
    for (size_t i = 0; i < D->npeers; i++)
        D->peers[i].cfg = &D->cfg.peers[i];
    samid_config_free(&old);
    for (size_t i = 0; i < D->ndl; i++)
        bridge_apply_downlink_cfg(&D->dl[i]);
}

static void apply_pending_rebuild(void)
{
    struct samid_config *n = malloc(sizeof *n);
    if (!n)
        return;
    *n = D->pending;
    memset(&D->pending, 0, sizeof D->pending);
    D->rebuild_pending = 0;
    for (size_t i = 0; i < D->ndl; i++)
        D->dl[i].cfg = &n->downlinks[i];
    char err[256];
    if (bridge_rebuild(n, err, sizeof err) != 0) {
        slog(SAMID_LOG_ERROR, "reload: %s: the running bridge node stays", err);
        for (size_t i = 0; i < D->ndl; i++)
            D->dl[i].cfg = &D->cfg.downlinks[i];
        samid_config_free(n);
        free(n);
        return;
    }
    adopt(n);
    slog(SAMID_LOG_INFO, "reload: complete");
}

static void do_reload(void)
{
    char err[512];
    struct samid_config *n = calloc(1, sizeof *n);
    if (!n)
        return;
    slog(SAMID_LOG_INFO, "reload: reading %s", D->conf_path);
    if (samid_config_load(D->conf_path, n, err, sizeof err) != 0) {
        slog(SAMID_LOG_ERROR, "reload: %s: keeping the running configuration", err);
        free(n);
        return;
    }
    for (size_t i = 0; i < n->n_warnings; i++)
        slog(SAMID_LOG_WARN, "%s", n->warnings[i]);
    struct samid_config *o = D->rebuild_pending ? &D->pending : &D->cfg;
    /* What only a restart can change stays as it runs. */
    if (memcmp(&n->bridge, &D->cfg.bridge, sizeof n->bridge)) {
        slog(SAMID_LOG_WARN, "reload: the bridge section changed: restart samid to apply it "
                             "(the running bridge identity stays)");
        n->bridge = D->cfg.bridge;
    }
    if (!downlink_set_equal(n, &D->cfg)) {
        slog(SAMID_LOG_WARN, "reload: downlinks added, removed, reordered or their "
                             "dhcp-snooping changed: restart samid to apply (the running "
                             "downlinks stay, with their old settings)");
        struct samid_downlink *t = n->downlinks;
        size_t tn = n->n_downlinks;
        /* the old array may still be in use (a pending rebuild shares it):
         * take a copy for the new configuration */
        n->downlinks = calloc(D->cfg.n_downlinks, sizeof *n->downlinks);
        if (!n->downlinks) {
            n->downlinks = t;
            samid_config_free(n);
            free(n);
            return;
        }
        n->n_downlinks = D->cfg.n_downlinks;
        for (size_t i = 0; i < n->n_downlinks; i++) {
            n->downlinks[i] = D->cfg.downlinks[i];
            n->downlinks[i].accept_types = NULL;
            if (D->cfg.downlinks[i].n_accept_types) {
                n->downlinks[i].accept_types =
                    malloc(D->cfg.downlinks[i].n_accept_types * sizeof(uint32_t));
                if (n->downlinks[i].accept_types)
                    memcpy(n->downlinks[i].accept_types, D->cfg.downlinks[i].accept_types,
                           D->cfg.downlinks[i].n_accept_types * sizeof(uint32_t));
                else
                    n->downlinks[i].n_accept_types = 0;
            }
        }
        for (size_t i = 0; i < tn; i++)
            free(t[i].accept_types);
        free(t);
    }
    if (!transfer_equal(n, &D->cfg)) {
        slog(SAMID_LOG_WARN, "reload: the transfer section (listen, port, binding, mtu, "
                             "interface, advertise) changed: restart samid to apply it");
        char *a = n->transfer.listen, *b = n->transfer.advertise;
        n->transfer = D->cfg.transfer;
        n->transfer.listen = strdup(D->cfg.transfer.listen);
        n->transfer.advertise = D->cfg.transfer.advertise ? strdup(D->cfg.transfer.advertise) : NULL;
        free(a);
        free(b);
    }
    if (strcmp(n->control_socket, D->cfg.control_socket)) {
        slog(SAMID_LOG_WARN, "reload: control.socket changed: restart samid to apply it");
        free(n->control_socket);
        n->control_socket = strdup(D->cfg.control_socket);
    }
    if ((n->preload || D->cfg.preload) &&
        strcmp(n->preload ? n->preload : "", D->cfg.preload ? D->cfg.preload : ""))
        slog(SAMID_LOG_INFO, "reload: store.preload is read at start only (samictl load FILE "
                             "adds records to a running samid)");
    if (!g_verbose)
        slog_set_level(n->log_level);
    if (!keys_equal(n, o))
        set_keys(n);
    int rebuild = !peers_equal(n, &D->cfg) ||
                  memcmp(&n->limits, &D->cfg.limits, sizeof n->limits) ||
                  memcmp(&n->deadlines, &D->cfg.deadlines, sizeof n->deadlines) ||
                  n->store_max_records != D->cfg.store_max_records;
    if (D->rebuild_pending) {
        samid_config_free(&D->pending);
        D->rebuild_pending = 0;
    }
    if (rebuild) {
        D->pending = *n;
        free(n);
        D->rebuild_pending = 1;
        if (bridge_idle()) {
            apply_pending_rebuild();
        } else {
            slog(SAMID_LOG_INFO, "reload: peers, limits or deadlines changed: applied once no "
                                 "migration is in progress");
        }
        return;
    }
    adopt(n);
    slog(SAMID_LOG_INFO, "reload: complete");
}

/* ------------------------------------------------------------------ loop */

static void on_dl_in(void *ctx, const uint8_t *f, size_t len)
{
    bridge_downlink_frame(ctx, f, len);
}

static void on_dl_out(void *ctx, const uint8_t *f, size_t len)
{
    bridge_downlink_out_frame(ctx, f, len);
}

static void on_l2(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    bridge_l2_frame(f, len);
}

static uint64_t aborted_ids[256];
static int aborted_roles[256];
static size_t n_aborted;

/* Shutdown is done when the aborts are through: no migration engine record
 * left pending and no transfer ABORT waiting for its acknowledgement. */
static int shutdown_done(void)
{
    if (!bridge_idle())
        return 0;
    const struct sami_xfer_engine *x = sami_node_bridge_xfer(D->node);
    for (size_t i = 0; x && i < n_aborted; i++)
        if (sami_xfer_engine_state(x, aborted_ids[i], aborted_roles[i]) == SAMI_XFER_MS_ABORTING)
            return 0;
    for (size_t i = 0; i < D->nconns; i++)
        if (D->conns[i]->out_len > D->conns[i]->out_off && !D->conns[i]->connecting)
            return 0;
    return 1;
}

static void begin_shutdown(sami_usec_t *deadline)
{
    static struct sami_mig_bridge_info info[256];
    size_t n = sami_mig_bridge_list(sami_node_bridge_mig(D->node), info, 256);
    n_aborted = 0;
    for (size_t i = 0; i < n && i < 256; i++) {
        aborted_ids[n_aborted] = info[i].mig_id;
        aborted_roles[n_aborted++] =
            info[i].role == SAMI_MIG_BRIDGE_DEST ? SAMI_XFER_ROLE_DEST : SAMI_XFER_ROLE_SOURCE;
    }
    size_t a = bridge_abort_all(SAMI_ABORT_OPERATOR);
    slog(SAMID_LOG_INFO, "stopping: %zu pending migration%s aborted", a, a == 1 ? "" : "s");
    D->shutting_down = 1;
    *deadline = D->now + SHUTDOWN_GRACE;
}

static int run(void)
{
    size_t cap = 8 + 2 * D->ndl + 4 * D->npeers + 64;
    struct pollfd *pf = calloc(cap + 64, sizeof *pf);
    if (!pf)
        return EXIT_RUNTIME;
    sami_usec_t stop_at = SAMI_NO_DEADLINE;
    for (;;) {
        D->now = mono_us();
        if (sig_term && !D->shutting_down)
            begin_shutdown(&stop_at);
        if (D->shutting_down && (shutdown_done() || D->now >= stop_at))
            break;
        if (sig_hup || reload_requested) {
            sig_hup = 0;
            reload_requested = 0;
            do_reload();
        }
        if (D->rebuild_pending && bridge_idle())
            apply_pending_rebuild();

        sami_usec_t dl = bridge_next_deadline();
        if (dl <= D->now) {
            bridge_run();
            dl = bridge_next_deadline();
        }
        for (size_t i = 0; i < D->ndl; i++) {
            struct dlink *d = &D->dl[i];
            bridge_port_retry(d);
            if (d->down) {
                if (d->reopen_at < dl)
                    dl = d->reopen_at;
                continue;
            }
            lldp_tick(d);
            sami_usec_t l = lldp_next_deadline(d);
            if (l < dl)
                dl = l;
        }
        xport_tick(D->now);
        sami_usec_t x = xport_next_deadline();
        if (x < dl)
            dl = x;
        if (stop_at < dl)
            dl = stop_at;
        if (D->rebuild_pending && D->now + SAMI_SEC(1) < dl)
            dl = D->now + SAMI_SEC(1);

        size_t need = 1 + 2 * D->ndl + 1 + 2 * D->nconns + 2 + 40;
        if (need > cap) {
            struct pollfd *np = realloc(pf, (need + 64) * sizeof *pf);
            if (!np)
                break;
            pf = np;
            cap = need + 64;
        }
        size_t n = 0;
        pf[n++] = (struct pollfd){sigpipe_fd[0], POLLIN, 0};
        size_t dl0 = n;
        for (size_t i = 0; i < D->ndl; i++) {
            pf[n++] = (struct pollfd){D->dl[i].eth.fd_in, POLLIN, 0};
            pf[n++] = (struct pollfd){D->dl[i].eth.fd_out, POLLIN, 0}; /* -1: ignored */
        }
        size_t l2i = n;
        pf[n++] = (struct pollfd){D->has_l2 ? D->l2.fd_in : -1, POLLIN, 0};
        size_t x0 = n;
        n += xport_pollfds(pf + n, cap - n);
        size_t c0 = n;
        n += ctl_pollfds(pf + n, cap - n);

        int timeout;
        if (dl == SAMI_NO_DEADLINE)
            timeout = 60000;
        else {
            sami_usec_t d = dl > D->now ? dl - D->now : 0;
            /* round up: waking a little late is fine, spinning is not */
            uint64_t ms = (d + 999u) / 1000u;
            timeout = ms > 60000 ? 60000 : (int)ms;
        }
        int rc = poll(pf, n, timeout);
        if (rc < 0 && errno != EINTR) {
            slog(SAMID_LOG_ERROR, "poll: %s", strerror(errno));
            free(pf);
            return EXIT_RUNTIME;
        }
        D->now = mono_us();
        if (rc <= 0)
            continue;
        if (pf[0].revents) {
            char b[64];
            while (read(sigpipe_fd[0], b, sizeof b) > 0) {
            }
        }
        for (size_t i = 0; i < D->ndl; i++) {
            struct dlink *d = &D->dl[i];
            if (d->eth.in && pf[dl0 + 2 * i].revents &&
                eth_drain(&d->eth, d->eth.in, on_dl_in, d) < 0)
                bridge_port_failed(d);
            if (d->eth.out && pf[dl0 + 2 * i + 1].revents &&
                eth_drain(&d->eth, d->eth.out, on_dl_out, d) < 0)
                bridge_port_failed(d);
        }
        if (D->has_l2 && D->l2.in && pf[l2i].revents && eth_drain(&D->l2, D->l2.in, on_l2, NULL) < 0) {
            /* the L2 fabric port is gone: stop polling it (restart samid) */
            slog(SAMID_LOG_ERROR, "%s: capture failed: L2 transfer stopped until samid restarts",
                 D->l2.ifname);
            eth_close(&D->l2);
        }
        xport_handle(pf + x0, c0 - x0, D->now);
        ctl_handle(pf + c0, n - c0);
    }
    free(pf);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"config", required_argument, 0, 'c'},
                                       {"foreground", no_argument, 0, 'f'},
                                       {"check-config", no_argument, 0, 't'},
                                       {"pidfile", required_argument, 0, 'p'},
                                       {"verbose", no_argument, 0, 'v'},
                                       {"help", no_argument, 0, 'h'},
                                       {"version", no_argument, 0, 'V'},
                                       {0, 0, 0, 0}};
    const char *conf = NULL, *pidfile = NULL;
    int check = 0, verbose = 0, opt;
    while ((opt = getopt_long(argc, argv, "c:ftp:vhV", lo, NULL)) != -1) {
        switch (opt) {
        case 'c': conf = optarg; break;
        case 'f': D->foreground = 1; break;
        case 't': check = 1; break;
        case 'p': pidfile = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("samid %s\n", SAMID_VERSION); return 0;
        default: usage(stderr); return EXIT_CONFIG;
        }
    }
    if (!conf || optind != argc) {
        if (!conf)
            fprintf(stderr, "samid: -c FILE is required\n");
        else
            fprintf(stderr, "samid: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_CONFIG;
    }
    char err[1024];
    if (samid_config_load(conf, &D->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_CONFIG;
    }
    /* absolute: a detached samid runs in / and reloads from there */
    static char conf_abs[4096];
    D->conf_path = realpath(conf, conf_abs) ? conf_abs : conf;
    if (check) {
        for (size_t i = 0; i < D->cfg.n_warnings; i++)
            fprintf(stderr, "%s (warning)\n", D->cfg.warnings[i]);
        size_t recs = 0;
        if (check_preload(&D->cfg, err, sizeof err, &recs) != 0) {
            fprintf(stderr, "%s\n", err);
            samid_config_free(&D->cfg);
            return EXIT_CONFIG;
        }
        printf("%s: configuration good: %zu downlink%s, %zu peer%s, %zu key%s", conf,
               D->cfg.n_downlinks, D->cfg.n_downlinks == 1 ? "" : "s", D->cfg.n_peers,
               D->cfg.n_peers == 1 ? "" : "s", D->cfg.n_keys, D->cfg.n_keys == 1 ? "" : "s");
        if (D->cfg.preload)
            printf("; preload %s: %zu records", D->cfg.preload, recs);
        printf("\n");
        samid_config_free(&D->cfg);
        return 0;
    }

    slog_init(verbose ? SAMID_LOG_DEBUG : D->cfg.log_level, 0);
    g_verbose = verbose;
    for (size_t i = 0; i < D->cfg.n_warnings; i++)
        slog(SAMID_LOG_WARN, "%s", D->cfg.warnings[i]);

    if (pipe(sigpipe_fd) != 0) {
        slog(SAMID_LOG_ERROR, "pipe: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    for (int i = 0; i < 2; i++) {
        (void)fcntl(sigpipe_fd[i], F_SETFL, O_NONBLOCK);
        (void)fcntl(sigpipe_fd[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    D->now = D->started = mono_us();
    D->started_wall = (int64_t)time(NULL);
    struct timespec wt;
    clock_gettime(CLOCK_REALTIME, &wt);
    /* Peers keep replay windows per sender across our restarts: the first
     * sequence number of this run is the wall clock in µs, so it is above
     * anything a previous run sent (at far less than 10^6 messages/s). */
    D->seq_start = (uint64_t)wt.tv_sec * 1000000u + (uint64_t)wt.tv_nsec / 1000u;
    D->listen_fd = D->ctl_fd = -1;

    int code = 0;
    if (bridge_build(err, sizeof err) != 0) {
        slog(SAMID_LOG_ERROR, "%s", err);
        code = EXIT_RUNTIME;
    } else if (ctl_open(D->cfg.control_socket, err, sizeof err) != 0) {
        slog(SAMID_LOG_ERROR, "%s", err);
        code = EXIT_RUNTIME;
    } else if (xport_listen(err, sizeof err) != 0) {
        slog(SAMID_LOG_ERROR, "%s", err);
        code = EXIT_RUNTIME;
    }
    if (!code && D->cfg.preload) {
        /* Read a line at a time (twice: checked, then stored), not whole:
         * 1 M records are ~140 MB of text, which doubled samid's peak. */
        struct samid_preload_stats st;
        struct sami_store ls = bridge_learner_store();
        int rc = samid_preload_load(D->cfg.preload, &ls, D->now, &st, err, sizeof err);
        D->preload_records += st.records;
        D->loads++;
        if (rc != 0) {
            slog(SAMID_LOG_ERROR, "%s", err);
            code = EXIT_CONFIG;
        } else {
            slog(SAMID_LOG_INFO, "preload %s: %zu records stored", D->cfg.preload, st.records);
        }
    }
    if (!code && !D->foreground) {
        if (detach() != 0) {
            slog(SAMID_LOG_ERROR, "cannot detach: %s", strerror(errno));
            code = EXIT_RUNTIME;
        } else {
            slog_init(slog_level(), 1);
        }
    }
    if (!code && pidfile && write_pidfile(pidfile) != 0) {
        slog(SAMID_LOG_ERROR, "pidfile %s: %s", pidfile, strerror(errno));
        code = EXIT_RUNTIME;
    }
    if (!code) {
        char b[24];
        slog(SAMID_LOG_INFO, "samid %s started: bridge %s%s%s, %zu downlink%s, %zu peer%s, "
             "control %s, transfer sequence start %llu",
             SAMID_VERSION, bridgeidstr(&D->cfg.bridge.id, b), D->cfg.bridge.name[0] ? " " : "",
             D->cfg.bridge.name, D->ndl, D->ndl == 1 ? "" : "s", D->npeers,
             D->npeers == 1 ? "" : "s", D->cfg.control_socket,
             (unsigned long long)D->seq_start);
        code = run();
        slog(SAMID_LOG_INFO, "stopped");
        for (size_t i = 0; i < D->ndl; i++)
            lldp_shutdown(&D->dl[i]);
    }
    if (pidfile && !code)
        unlink(pidfile);
    ctl_close();
    xport_close_all();
    bridge_destroy();
    if (D->rebuild_pending)
        samid_config_free(&D->pending);
    samid_config_free(&D->cfg);
    return code;
}
