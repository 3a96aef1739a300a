/* The control socket: AF_UNIX stream, mode 0600, one request per line, one
 * JSON object per line back (docs/SAMID.md, "Control protocol").
 *
 *   ping | version | help
 *   show migrations | show di [UUID|MAC] | show peers | show counters | show vsis
 *   load PATH                    preload file read by samid
 *   load-begin NAME / load-line TEXT ... / load-end
 *                                a preload file sent over the socket (samictl
 *                                load): load-line gets no answer, load-end
 *                                answers for the whole file, which is checked
 *                                completely before anything is stored
 *   reload                       as SIGHUP
 *   log-level error|warn|info|debug
 *
 * Every answer has "ok" (true/false); failures carry "error". Clients are
 * served without blocking; a client that does not read its answers only
 * costs memory up to a bound, then it is dropped. */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "samid.h"
#include "sami/memstore.h"

#define LINE_MAX_CTL 8192
#define OUT_LIMIT ((size_t)64 << 20)
#define LOAD_LIMIT ((size_t)64 << 20)
#define MAX_CLIENTS 32

struct client {
    int fd;
    char in[LINE_MAX_CTL + 2];
    size_t in_len;
    int overlong;       /* skipping the rest of a too long line */
    char *out;
    size_t out_len, out_off, out_cap;
    char *load;         /* load-begin .. load-end text */
    size_t load_len, load_cap;
    char load_name[128];
    int loading, load_err;
};

static struct client *clients[MAX_CLIENTS];
static size_t nclients;
static char ctl_path[108];
static struct jw W;

int ctl_open(const char *path, char *err, size_t errlen)
{
    D->ctl_fd = -1;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "control socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "control socket: %s", strerror(errno));
        return -1;
    }
    /* A socket file left by a samid that died is removed; one that
     * answers belongs to a running samid: refuse to start twice. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "control socket %s exists and is not a socket", path);
            close(fd);
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            snprintf(err, errlen, "control socket %s: another samid is running", path);
            close(fd);
            return -1;
        }
        close(fd);
        unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, errlen, "control socket: %s", strerror(errno));
            return -1;
        }
    }
    mode_t old = umask(0177); /* 0600 from the start, no window */
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 8) != 0) {
        snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    D->ctl_fd = fd;
    snprintf(ctl_path, sizeof ctl_path, "%s", path);
    jw_init(&W);
    return 0;
}

static void client_free(struct client *c)
{
    close(c->fd);
    free(c->out);
    free(c->load);
    for (size_t i = 0; i < nclients; i++)
        if (clients[i] == c) {
            clients[i] = clients[--nclients];
            break;
        }
    free(c);
}

void ctl_close(void)
{
    while (nclients)
        client_free(clients[0]);
    if (D->ctl_fd >= 0) {
        close(D->ctl_fd);
        unlink(ctl_path);
    }
    D->ctl_fd = -1;
    jw_free(&W);
}

size_t ctl_pollfds(struct pollfd *p, size_t cap)
{
    size_t n = 0;
    if (D->ctl_fd >= 0 && n < cap)
        p[n++] = (struct pollfd){D->ctl_fd, POLLIN, 0};
    for (size_t i = 0; i < nclients && n < cap; i++)
        p[n++] = (struct pollfd){clients[i]->fd,
                                 (short)(POLLIN | (clients[i]->out_len > clients[i]->out_off ? POLLOUT : 0)), 0};
    return n;
}

static int flush(struct client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        client_free(c);
        return -1;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

static int reply(struct client *c, const char *text, size_t len)
{
    if (c->out_len - c->out_off + len + 1 > OUT_LIMIT) {
        slog(SAMID_LOG_WARN, "control: client does not read its answers: dropped");
        client_free(c);
        return -1;
    }
    if (c->out_off && c->out_len + len + 1 > c->out_cap) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len + 1 > c->out_cap) {
        size_t n = c->out_cap ? c->out_cap : 4096;
        while (n < c->out_len + len + 1)
            n *= 2;
        char *o = realloc(c->out, n);
        if (!o) {
            client_free(c);
            return -1;
        }
        c->out = o;
        c->out_cap = n;
    }
    memcpy(c->out + c->out_len, text, len);
    c->out_len += len;
    c->out[c->out_len++] = '\n';
    return flush(c);
}

/* -------------------------------------------------------------- helpers */

static void jaddr16(struct jw *w, const char *k, const uint8_t a[16])
{
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char b[INET6_ADDRSTRLEN];
    if (!memcmp(a, v4, 12))
        inet_ntop(AF_INET, a + 12, b, sizeof b);
    else
        inet_ntop(AF_INET6, a, b, sizeof b);
    jw_kstr(w, k, b);
}

static void jmac(struct jw *w, const char *k, const uint8_t m[6])
{
    char b[18];
    jw_kstr(w, k, hexmac(m, b));
}

static void jms(struct jw *w, const char *k, uint32_t ms)
{
    if (ms == SAMI_DI_INFINITE)
        jw_kstr(w, k, "infinite");
    else
        jw_ku64(w, k, ms);
}

static void jprefix(struct jw *w, const char *k, const uint8_t a[16], uint8_t len)
{
    static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char b[INET6_ADDRSTRLEN + 8];
    if (len == 0) {
        jw_kstr(w, k, "any");
        return;
    }
    if (!memcmp(a, v4, 12) && len >= 96) {
        inet_ntop(AF_INET, a + 12, b, sizeof b);
        if (len < 128)
            snprintf(b + strlen(b), sizeof b - strlen(b), "/%u", len - 96u);
    } else {
        inet_ntop(AF_INET6, a, b, sizeof b);
        if (len < 128)
            snprintf(b + strlen(b), sizeof b - strlen(b), "/%u", len);
    }
    jw_kstr(w, k, b);
}

static void jrange(struct jw *w, const char *k, uint16_t lo, uint16_t hi)
{
    if (lo == 0 && hi == 65535)
        jw_kstr(w, k, "any");
    else if (lo == hi)
        jw_ku64(w, k, lo);
    else
        jw_kfmt(w, k, "%u-%u", lo, hi);
}

static void jstrn(struct jw *w, const char *k, const char *s, size_t n)
{
    jw_key(w, k);
    jw_strn(w, s, n);
}

static void jrecord(struct jw *w, const struct sami_di_record *r)
{
    jw_obj(w);
    jw_kstr(w, "type", sami_di_type_name(r->type));
    switch (r->type) {
    case SAMI_DI_DHCP: {
        char ip[16];
        const uint8_t *a = r->u.dhcp.ipv4;
        snprintf(ip, sizeof ip, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        jw_kstr(w, "ip", ip);
        jmac(w, "mac", r->u.dhcp.mac);
        jw_ku64(w, "vlan", r->u.dhcp.vlan);
        jms(w, "lease_ms", r->u.dhcp.lease_remaining_ms);
        break;
    }
    case SAMI_DI_DHCPV6:
        jaddr16(w, "ip", r->u.dhcpv6.ipv6);
        jmac(w, "mac", r->u.dhcpv6.mac);
        jw_ku64(w, "vlan", r->u.dhcpv6.vlan);
        jw_ku64(w, "iaid", r->u.dhcpv6.iaid);
        jms(w, "lease_ms", r->u.dhcpv6.lease_remaining_ms);
        break;
    case SAMI_DI_ND:
        jaddr16(w, "ip", r->u.nd.ipv6);
        jmac(w, "mac", r->u.nd.mac);
        jw_ku64(w, "vlan", r->u.nd.vlan);
        jw_kstr(w, "state", sami_di_nd_state_name(r->u.nd.state));
        jms(w, "lifetime_ms", r->u.nd.lifetime_remaining_ms);
        break;
    case SAMI_DI_DOT1X: {
        const struct sami_di_dot1x *x = &r->u.dot1x;
        jmac(w, "mac", x->mac);
        jw_kbool(w, "authorized", x->authorized);
        jw_kstr(w, "eap", sami_di_eap_method_name(x->eap_method));
        jstrn(w, "identity", x->identity, x->identity_len);
        jstrn(w, "session_id", x->session_id, x->session_id_len);
        jstrn(w, "filter_id", x->filter_id, x->filter_id_len);
        jw_ku64(w, "vlan", x->vlan);
        jms(w, "session_ms", x->session_remaining_ms);
        jms(w, "reauth_ms", x->reauth_remaining_ms);
        break;
    }
    case SAMI_DI_ACL: {
        const struct sami_di_acl *a = &r->u.acl;
        jw_ku64(w, "rule", a->rule_id);
        jw_kstr(w, "action", sami_di_acl_action_name(a->action));
        if (a->action == SAMI_DI_ACL_RATE_LIMIT)
            jw_ku64(w, "rate_kbps", a->rate_kbps);
        jw_kstr(w, "origin", sami_di_acl_origin_name(a->origin));
        jw_ku64(w, "proto", a->protocol);
        jprefix(w, "src", a->src, a->src_prefix_len);
        jprefix(w, "dst", a->dst, a->dst_prefix_len);
        jrange(w, "sport", a->src_port_lo, a->src_port_hi);
        jrange(w, "dport", a->dst_port_lo, a->dst_port_hi);
        if (a->flags & SAMI_DI_ACL_F_MATCH_VLAN)
            jw_ku64(w, "vlan", a->vlan);
        if (a->flags & SAMI_DI_ACL_F_MATCH_MAC)
            jmac(w, "mac", a->mac);
        jms(w, "lifetime_ms", a->lifetime_remaining_ms);
        break;
    }
    case SAMI_DI_IGMP: {
        const struct sami_di_igmp *g = &r->u.igmp;
        static const uint8_t zero[16];
        jaddr16(w, "group", g->group);
        if (memcmp(g->source, zero, 16))
            jaddr16(w, "source", g->source);
        else
            jw_kstr(w, "source", "any");
        jw_ku64(w, "vlan", g->vlan);
        jw_kstr(w, "mode", sami_di_igmp_mode_name(g->filter_mode));
        jms(w, "timer_ms", g->timer_remaining_ms);
        break;
    }
    case SAMI_DI_COUNTERS: {
        const struct sami_di_counters *c = &r->u.counters;
        jw_kstr(w, "dir", sami_di_direction_name(c->direction));
        jw_ku64(w, "packets", c->packets);
        jw_ku64(w, "bytes", c->bytes);
        jw_ku64(w, "rate_bps", c->rate_bps);
        jw_ku64(w, "rate_pps", c->rate_pps);
        jw_ku64(w, "syn", c->syn_count);
        jw_ku64(w, "window_ms", c->window_ms);
        break;
    }
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *f = &r->u.firewall;
        jw_ku64(w, "proto", f->protocol);
        jaddr16(w, "src", f->src);
        jw_ku64(w, "sport", f->src_port);
        jaddr16(w, "dst", f->dst);
        jw_ku64(w, "dport", f->dst_port);
        jw_ku64(w, "vlan", f->vlan);
        jw_kstr(w, "state", sami_di_fw_state_name(f->state));
        jw_ku64(w, "created_age_ms", f->created_age_ms);
        jw_ku64(w, "last_age_ms", f->last_heard_age_ms);
        jms(w, "expiry_ms", f->expiry_remaining_ms);
        if (f->flags & SAMI_DI_FW_F_NAT) {
            jaddr16(w, "nat_src", f->nat_src);
            jw_ku64(w, "nat_sport", f->nat_src_port);
            jaddr16(w, "nat_dst", f->nat_dst);
            jw_ku64(w, "nat_dport", f->nat_dst_port);
        }
        break;
    }
    default:
        break;
    }
    jw_end_obj(w);
}

/* ------------------------------------------------------------- commands */

static const struct dlink *dl_of_port(uint32_t port)
{
    return port >= 1 && port <= D->ndl ? &D->dl[port - 1] : NULL;
}

static void jbridge_ref(struct jw *w, const char *k, const struct sami_bridge_ref *r)
{
    if (r->chassis_id_subtype == 4 && r->chassis_id_len == 6)
        jmac(w, k, r->chassis_id);
    else
        jstrn(w, k, (const char *)r->chassis_id, r->chassis_id_len);
}

static void show_migrations(struct jw *w)
{
    static struct sami_mig_bridge_info info[1024];
    const struct sami_mig_bridge *mb = sami_node_bridge_mig(D->node);
    size_t n = sami_mig_bridge_list(mb, info, sizeof info / sizeof info[0]);
    if (n > sizeof info / sizeof info[0])
        n = sizeof info / sizeof info[0];
    const struct sami_xfer_engine *x = sami_node_bridge_xfer(D->node);
    jw_key(w, "migrations");
    jw_arr(w);
    char u[37];
    for (size_t i = 0; i < n; i++) {
        const struct sami_mig_bridge_info *m = &info[i];
        jw_obj(w);
        jw_kfmt(w, "id", "%#llx", (unsigned long long)m->mig_id);
        jw_kstr(w, "role", sami_mig_bridge_role_name(m->role));
        jw_kstr(w, "state", sami_mig_bridge_state_name(m->state));
        jw_kstr(w, "vm", uuidstr(m->vm.id, u));
        jw_kstr(w, "last_time_point", m->last_tp ? sami_tp_name(m->last_tp) : "none");
        const struct dlink *dl = dl_of_port(m->hv_port);
        jw_kstr(w, "downlink", dl ? dl->eth.ifname : "?");
        jbridge_ref(w, "orig", m->orig);
        jbridge_ref(w, "dest", m->dest);
        if (m->peer < D->npeers) {
            char b[24];
            jw_kstr(w, "peer", bridgeidstr(&D->peers[m->peer].cfg->id, b));
        }
        jw_kfmt(w, "di_types", "%#x", m->di_types);
        jw_kbool(w, "frozen", m->frozen);
        jw_kbool(w, "completed", m->completed);
        jw_ku64(w, "transfer_us", m->transfer_time_us);
        jw_ku64(w, "age_ms", (D->now - m->created) / 1000);
        if (m->deadline == SAMI_NO_DEADLINE)
            jw_kstr(w, "deadline_ms", "none");
        else
            jw_ki64(w, "deadline_ms", ((int64_t)m->deadline - (int64_t)D->now) / 1000);
        int xr = m->role == SAMI_MIG_BRIDGE_DEST ? SAMI_XFER_ROLE_DEST : SAMI_XFER_ROLE_SOURCE;
        jw_kstr(w, "transfer", x ? sami_xfer_mig_state_name(sami_xfer_engine_state(x, m->mig_id, xr))
                                 : "none");
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

struct emit_ctx {
    struct jw *w;
    size_t n;
};

static int emit_rec(void *arg, const struct sami_di_record *rec)
{
    struct emit_ctx *e = arg;
    jrecord(e->w, rec);
    e->n++;
    return 0;
}

struct mac_find {
    uint8_t mac[6];
    int found;
};

static int rec_has_mac(void *arg, const struct sami_di_record *r)
{
    struct mac_find *f = arg;
    const uint8_t *m = NULL;
    switch (r->type) {
    case SAMI_DI_DHCP: m = r->u.dhcp.mac; break;
    case SAMI_DI_DHCPV6: m = r->u.dhcpv6.mac; break;
    case SAMI_DI_ND: m = r->u.nd.mac; break;
    case SAMI_DI_DOT1X: m = r->u.dot1x.mac; break;
    default: break;
    }
    if (m && !memcmp(m, f->mac, 6)) {
        f->found = 1;
        return 1;
    }
    return 0;
}

static int vm_matches_mac(const struct sami_vm_id *vm, const uint8_t mac[6])
{
    for (size_t i = 0; i < D->ndl; i++) {
        const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, D->dl[i].port);
        const struct sami_vdp_bridge_vsi *v =
            br ? sami_vdp_bridge_find(br, vm->id_format, vm->id) : NULL;
        if (!v)
            continue;
        struct sami_vdp_vsi view;
        sami_vdp_sm_vsi_view(&v->rec, v->state, &view);
        for (uint16_t k = 0; k < view.count; k++) {
            struct sami_vdp_filter f;
            if (sami_vdp_get_filter(&view, k, &f) == 0 && !memcmp(f.mac, mac, 6))
                return 1;
        }
    }
    struct mac_find mf;
    memcpy(mf.mac, mac, 6);
    mf.found = 0;
    struct sami_store s = sami_node_bridge_store(D->node);
    (void)sami_store_foreach(&s, vm, D->now, rec_has_mac, &mf);
    return mf.found;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    size_t k = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '-')
            continue;
        int hi, lo;
        char c1 = s[i], c2 = s[i + 1];
        if (!c2)
            return -1;
        hi = (c1 >= '0' && c1 <= '9') ? c1 - '0' : (c1 | 32) >= 'a' && (c1 | 32) <= 'f' ? (c1 | 32) - 'a' + 10 : -1;
        lo = (c2 >= '0' && c2 <= '9') ? c2 - '0' : (c2 | 32) >= 'a' && (c2 | 32) <= 'f' ? (c2 | 32) - 'a' + 10 : -1;
        if (hi < 0 || lo < 0 || k >= 16)
            return -1;
        out[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
    return k == 16 ? 0 : -1;
}

static int show_di(struct jw *w, const char *sel, char *err, size_t errlen)
{
    uint8_t uuid[16], mac[6];
    int by_uuid = 0, by_mac = 0;
    if (sel) {
        if (samid_parse_mac(sel, mac) == 0)
            by_mac = 1;
        else if (parse_uuid(sel, uuid) == 0)
            by_uuid = 1;
        else {
            snprintf(err, errlen, "'%s' is neither a VM UUID nor a MAC", sel);
            return -1;
        }
    }
    /* VMs with VSIs here are candidates too (they may hold no DI yet) */
    for (size_t i = 0; i < D->ndl; i++) {
        const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, D->dl[i].port);
        for (size_t k = 0; br && k < br->nvsis; k++) {
            if (!br->vsis[k].in_use)
                continue;
            struct sami_vm_id vm;
            vm.type_id = br->vsis[k].rec.type_id;
            vm.type_version = br->vsis[k].rec.type_ver;
            vm.id_format = br->vsis[k].rec.id_format;
            memcpy(vm.id, br->vsis[k].rec.id, 16);
            vmset_add(&vm);
        }
    }
    struct sami_store s = sami_node_bridge_store(D->node);
    uint64_t total = 0;
    jw_key(w, "vms");
    jw_arr(w);
    char u[37];
    for (size_t i = 0; i < D->vms.n; i++) {
        const struct sami_vm_id *vm = &D->vms.v[i];
        if (by_uuid && memcmp(vm->id, uuid, 16))
            continue;
        if (by_mac && !vm_matches_mac(vm, mac))
            continue;
        uint32_t pt[SAMI_STORE_COUNTS];
        memset(pt, 0, sizeof pt);
        int flags = sami_store_vm_flags(&s, vm);
        (void)sami_store_count(&s, vm, pt);
        if (!sel && pt[0] == 0 && flags <= 0)
            continue;
        jw_obj(w);
        jw_kstr(w, "vm", uuidstr(vm->id, u));
        jw_ku64(w, "id_format", vm->id_format);
        jw_key(w, "flags");
        jw_arr(w);
        if (flags > 0) {
            if (flags & SAMI_STORE_VM_SOURCE)
                jw_str(w, "source");
            if (flags & SAMI_STORE_VM_FROZEN)
                jw_str(w, "frozen");
            if (flags & SAMI_STORE_VM_STAGING)
                jw_str(w, "staging");
            if (flags & SAMI_STORE_VM_PENDING)
                jw_str(w, "pending");
        }
        jw_end_arr(w);
        jw_ku64(w, "count", pt[0]);
        jw_key(w, "counts");
        jw_obj(w);
        for (unsigned t = 1; t < SAMI_STORE_COUNTS; t++)
            if (pt[t])
                jw_ku64(w, sami_di_type_name(t), pt[t]);
        jw_end_obj(w);
        jw_key(w, "records");
        jw_arr(w);
        struct emit_ctx ec = {w, 0};
        (void)sami_store_foreach(&s, vm, D->now, emit_rec, &ec);
        jw_end_arr(w);
        jw_end_obj(w);
        total += pt[0];
    }
    jw_end_arr(w);
    jw_ku64(w, "total", total);
    return 0;
}

static void show_peers(struct jw *w)
{
    jw_key(w, "peers");
    jw_arr(w);
    char b[24], m[18];
    for (size_t i = 0; i < D->npeers; i++) {
        const struct tpeer *p = &D->peers[i];
        const struct samid_peer *c = p->cfg;
        jw_obj(w);
        jw_kstr(w, "id", bridgeidstr(&c->id, b));
        jw_kstr(w, "name", c->name);
        jw_kstr(w, "chassis_id", hexmac(c->chassis_id, m));
        jw_kstr(w, "binding", c->binding == SAMI_XFER_BIND_L2 ? "l2" : "tcp");
        if (c->binding == SAMI_XFER_BIND_STREAM) {
            jw_kfmt(w, "address", "%s%s%s:%u", strchr(c->host, ':') ? "[" : "", c->host,
                    strchr(c->host, ':') ? "]" : "", c->port);
            const char *st = "down";
            if (p->out && !p->out->connecting)
                st = "up";
            else if (p->out)
                st = "connecting";
            jw_kstr(w, "outbound", st);
            int authed = 0;
            for (size_t k = 0; k < D->nconns; k++)
                authed |= D->conns[k]->peer == (int)i && D->conns[k]->authed;
            jw_kbool(w, "authenticated", authed);
            if (!p->out)
                jw_ki64(w, "next_try_ms", ((int64_t)p->next_try - (int64_t)D->now) / 1000);
            jw_ku64(w, "connects", p->connects);
            jw_ku64(w, "connect_failures", p->connect_failures);
            jw_ku64(w, "tx_msgs", p->tx_msgs);
            jw_ku64(w, "tx_no_connection", p->tx_no_conn);
            jw_kstr(w, "last_error", p->last_error);
            xport_json(w, i);
        } else {
            jw_kstr(w, "address", hexmac(c->id.mac, m));
            jw_kstr(w, "interface", D->cfg.transfer.interface);
        }
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

#define JC(s, f) jw_ku64(w, #f, (s)->f)

static void show_counters(struct jw *w)
{
    const struct sami_node_counters *n = sami_node_counters(D->node);
    jw_key(w, "node");
    jw_obj(w);
    JC(n, rx_frames); JC(n, rx_ignored); JC(n, stream_errors); JC(n, notif_rx);
    JC(n, fb_tx_riding); JC(n, fb_tx_standalone); JC(n, fb_tx_resent); JC(n, fb_tx_fail);
    JC(n, fb_pend_full);
    JC(n, org_bad); JC(n, org_foreign); JC(n, xfer_events); JC(n, xfer_event_drops);
    JC(n, op_errors); JC(n, restarts);
    jw_end_obj(w);

    const struct sami_mig_bridge_counters *m =
        sami_mig_bridge_get_counters(sami_node_bridge_mig(D->node));
    jw_key(w, "migration");
    jw_obj(w);
    JC(m, notif_rx); JC(m, notif_dup); JC(m, notif_out_of_order); JC(m, notif_mismatch);
    JC(m, notif_not_ours); JC(m, notif_invalid); JC(m, refused_limit); JC(m, unknown_peer);
    JC(m, abort_refused); JC(m, abort_unknown); JC(m, fb_tx); JC(m, fb_send_errors);
    JC(m, xfer_unknown); JC(m, xfer_unexpected); JC(m, op_errors); JC(m, started);
    JC(m, proceeded); JC(m, rolled_back); JC(m, done); JC(m, freed);
    JC(m, refused_port_limit); JC(m, reclaimed); JC(m, completed_unknown); JC(m, late_activated);
    uint64_t to = 0;
    for (int s = 0; s < SAMI_MIG_BRIDGE_STATE_COUNT; s++)
        to += m->timeouts[s];
    jw_ku64(w, "timeouts", to);
    jw_end_obj(w);

    const struct sami_xfer_engine *xe = sami_node_bridge_xfer(D->node);
    if (xe) {
        const struct sami_xfer_engine_counters *x = sami_xfer_engine_counters(xe);
        jw_key(w, "transfer");
        jw_obj(w);
        JC(x, rx_msgs); JC(x, bad_length); JC(x, unknown_peer); JC(x, no_key); JC(x, bad_auth);
        JC(x, crypto); JC(x, replay); JC(x, wrong_peer); JC(x, rx_ok); JC(x, unsolicited);
        JC(x, limit); JC(x, digest_mismatch); JC(x, dup); JC(x, gap); JC(x, stale);
        JC(x, early_commit); JC(x, bad_records); JC(x, abort_refused); JC(x, restarts);
        JC(x, tx_msgs); JC(x, tx_fail); JC(x, retransmits); JC(x, timeouts); JC(x, deadlines);
        JC(x, records_tx); JC(x, records_rx); JC(x, installs); JC(x, nomem); JC(x, unwanted);
        JC(x, abort_answered); JC(x, late_activations); JC(x, unresolved);
        JC(x, unresolved_expired); JC(x, superseded); JC(x, activate_giveups);
        JC(x, activate_unknown); JC(x, adopted);
        jw_ku64(w, "active", sami_xfer_engine_active(xe));
        jw_ku64(w, "records_held", sami_xfer_engine_records_held(xe));
        jw_end_obj(w);
    }
    if (D->has_l2) {
        const struct sami_xfer_link_stats *l = sami_xfer_link_stats(sami_node_bridge_link(D->node));
        jw_key(w, "l2_link");
        jw_obj(w);
        JC(l, msgs_queued); JC(l, msgs_sent); JC(l, msgs_failed); JC(l, msgs_delivered);
        JC(l, queue_full); JC(l, frames_tx); JC(l, frames_retx); JC(l, frames_rx);
        JC(l, dup_rx); JC(l, gap_rx); JC(l, bad_rx); JC(l, toobig_rx);
        jw_end_obj(w);
    }

    struct sami_memstore_stats ms;
    sami_memstore_stats(sami_node_bridge_memstore(D->node), &ms);
    jw_key(w, "store");
    jw_obj(w);
    jw_ku64(w, "records", ms.records);
    jw_ku64(w, "tombstones", ms.tombstones);
    jw_ku64(w, "staged", ms.staged);
    jw_ku64(w, "vms", ms.vms);
    jw_ku64(w, "migrations", ms.migrations);
    jw_ku64(w, "bytes", ms.bytes);
    jw_ku64(w, "peak_bytes", ms.peak_bytes);
    jw_end_obj(w);

    jw_key(w, "downlinks");
    jw_arr(w);
    for (size_t i = 0; i < D->ndl; i++) {
        const struct dlink *dl = &D->dl[i];
        jw_obj(w);
        jw_kstr(w, "interface", dl->eth.ifname);
        jw_ku64(w, "rx_frames", dl->eth.rx);
        jw_ku64(w, "tx_frames", dl->eth.tx);
        jw_ku64(w, "tx_errors", dl->eth.tx_errors);
        uint64_t pr, pd;
        eth_pcap_stats(&dl->eth, &pr, &pd);
        jw_ku64(w, "pcap_drops", pd);
        jw_ku64(w, "rx_truncated", dl->eth.rx_truncated);
        jw_ku64(w, "rx_budget_hits", dl->eth.budget_hits);
        jw_ku64(w, "policy_refused", dl->policy_refused);
        jw_ku64(w, "oversized", dl->rx_oversized);
        const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, dl->port);
        if (br) {
            const struct sami_vdp_bridge_counters *v = &br->stats;
            jw_key(w, "vdp");
            jw_obj(w);
            JC(v, rx_pdus); JC(v, rx_bad); JC(v, rx_requests); JC(v, rx_unexpected); JC(v, rx_org);
            JC(v, refreshes); JC(v, accepted); JC(v, rejected); JC(v, rejected_full);
            JC(v, deassoc); JC(v, expired); JC(v, tx_pdus); JC(v, tx_dropped); JC(v, ecp_errors);
            jw_end_obj(w);
            const struct sami_ecp_engine_counters *e = sami_ecp_engine_stats(&br->ecp);
            jw_key(w, "ecp");
            jw_obj(w);
            JC(e, tx_requests); JC(e, tx_acks); JC(e, rx_requests); JC(e, rx_acks); JC(e, retries);
            JC(e, errors); JC(e, duplicates); JC(e, bad_frames); JC(e, queue_full);
            JC(e, stale_acks);
            jw_end_obj(w);
        }
        const struct sami_dhcpsnoop_counters *d = &dl->snoop.counters;
        jw_key(w, "dhcp");
        jw_obj(w);
        JC(d, frames); JC(d, malformed); JC(d, acks); JC(d, naks); JC(d, releases);
        JC(d, declines); JC(d, unknown_vm); JC(d, learned); JC(d, removed); JC(d, store_errors);
        jw_ku64(w, "untrusted", dl->dhcp_untrusted);
        jw_end_obj(w);
        jw_ku64(w, "lldp_tx", dl->lldp_tx);
        jw_ku64(w, "lldp_rx", dl->lldp_rx);
        jw_ku64(w, "lldp_bad", dl->lldp_bad);
        jw_end_obj(w);
    }
    jw_end_arr(w);

    jw_key(w, "samid");
    jw_obj(w);
    jw_ku64(w, "uptime_s", (D->now - D->started) / 1000000u);
    jw_ku64(w, "refused", D->frames_refused);
    jw_ku64(w, "log_suppressed", slog_suppressed());
    jw_ku64(w, "tcp_connections", xport_conn_count());
    jw_ku64(w, "tcp_accepts", D->tcp_accepts);
    jw_ku64(w, "tcp_refused", D->tcp_refused);
    jw_ku64(w, "tx_unknown_port", D->tx_unknown_port);
    jw_ku64(w, "preloaded_records", D->preload_records);
    jw_kbool(w, "rebuild_pending", D->rebuild_pending);
    jw_end_obj(w);
}

static void show_vsis(struct jw *w)
{
    jw_key(w, "downlinks");
    jw_arr(w);
    char u[37], m[18];
    for (size_t i = 0; i < D->ndl; i++) {
        const struct dlink *dl = &D->dl[i];
        jw_obj(w);
        jw_kstr(w, "interface", dl->eth.ifname);
        jw_kstr(w, "mac", hexmac(dl->eth.mac, m));
        jw_kstr(w, "policy", samid_policy_name(dl->cfg->policy));
        jw_ku64(w, "pvid", dl->cfg->pvid);
        jw_ku64(w, "max_vsis", dl->cfg->max_vsis);
        lldp_json(w, dl);
        jw_key(w, "vsis");
        jw_arr(w);
        const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, dl->port);
        for (size_t k = 0; br && k < br->nvsis; k++) {
            const struct sami_vdp_bridge_vsi *v = &br->vsis[k];
            if (!v->in_use)
                continue;
            jw_obj(w);
            jw_kstr(w, "vsi_id", uuidstr(v->rec.id, u));
            jw_ku64(w, "id_format", v->rec.id_format);
            jw_ku64(w, "type_id", v->rec.type_id);
            jw_ku64(w, "type_version", v->rec.type_ver);
            jw_kstr(w, "state", sami_vdp_sm_state_name(v->state));
            jw_kstr(w, "hints", (v->hints & SAMI_VDP_STATUS_M)   ? "M"
                                : (v->hints & SAMI_VDP_STATUS_S) ? "S"
                                                                 : "");
            jw_kstr(w, "station", hexmac(v->station, m));
            jw_key(w, "filters");
            jw_arr(w);
            struct sami_vdp_vsi view;
            sami_vdp_sm_vsi_view(&v->rec, v->state, &view);
            int grp = view.filter_format == SAMI_VDP_FILTER_GROUP_VID ||
                      view.filter_format == SAMI_VDP_FILTER_GROUP_MAC_VID;
            for (uint16_t f = 0; f < view.count; f++) {
                struct sami_vdp_filter fl;
                if (sami_vdp_get_filter(&view, f, &fl) != 0)
                    break;
                jw_obj(w);
                jw_kstr(w, "mac", hexmac(fl.mac, m));
                jw_ku64(w, "vid", fl.vid);
                if (grp) /* only the group formats carry one */
                    jw_ku64(w, "group_id", fl.group_id);
                jw_end_obj(w);
            }
            jw_end_arr(w);
            jw_ku64(w, "filter_format", view.filter_format);
            jw_ku64(w, "age_ms", (D->now - v->since) / 1000);
            jw_ki64(w, "expires_ms", ((int64_t)v->expires - (int64_t)D->now) / 1000);
            jw_end_obj(w);
        }
        jw_end_arr(w);
        jw_end_obj(w);
    }
    jw_end_arr(w);
}

/* ------------------------------------------------------------- dispatch */

static void answer_error(struct jw *w, const char *cmd, const char *msg)
{
    jw_reset(w);
    jw_obj(w);
    jw_kbool(w, "ok", 0);
    if (cmd)
        jw_kstr(w, "command", cmd);
    jw_kstr(w, "error", msg);
    jw_end_obj(w);
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap >= LOAD_LIMIT) {
            free(b);
            b = NULL;
            snprintf(err, errlen, "%s: larger than %zu octets", path, LOAD_LIMIT);
            fclose(f);
            return NULL;
        }
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (!b)
        snprintf(err, errlen, "out of memory");
    else if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = n;
    return b;
}

static void do_load(struct jw *w, const char *cmd, const char *name, const char *text, size_t len)
{
    char err[512] = "";
    struct jw st;
    jw_init(&st);
    jw_obj(&st);
    int rc = bridge_load_text(name, text, len, err, sizeof err, &st);
    jw_end_obj(&st);
    jw_reset(w);
    jw_obj(w);
    jw_kbool(w, "ok", rc == 0);
    jw_kstr(w, "command", cmd);
    jw_kstr(w, "file", name);
    jw_key(w, "stats");
    jw_raw(w, st.buf && !st.oom ? st.buf : "{}");
    if (rc != 0) {
        jw_kstr(w, "error", err);
        slog(SAMID_LOG_WARN, "control: load %s refused: %s", name, err);
    }
    jw_end_obj(w);
    jw_free(&st);
}

static void handle_line(struct client *c, char *line)
{
    struct jw *w = &W;
    size_t ll = strlen(line);
    while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
        line[--ll] = 0;
    if (c->loading && !strncmp(line, "load-line", 9) && (line[9] == ' ' || line[9] == 0)) {
        const char *t = line[9] ? line + 10 : "";
        size_t tl = strlen(t);
        if (c->load_len + tl + 1 > LOAD_LIMIT) {
            c->load_err = 1;
            return;
        }
        if (c->load_len + tl + 1 > c->load_cap) {
            size_t n = c->load_cap ? c->load_cap : 65536;
            while (n < c->load_len + tl + 1)
                n *= 2;
            char *b = realloc(c->load, n);
            if (!b) {
                c->load_err = 1;
                return;
            }
            c->load = b;
            c->load_cap = n;
        }
        memcpy(c->load + c->load_len, t, tl);
        c->load_len += tl;
        c->load[c->load_len++] = '\n';
        return;
    }
    char *save = NULL;
    char *cmd = strtok_r(line, " \t", &save);
    char *a1 = cmd ? strtok_r(NULL, " \t", &save) : NULL;
    char *a2 = a1 ? strtok_r(NULL, " \t", &save) : NULL;
    char *a3 = a2 ? strtok_r(NULL, " \t", &save) : NULL;
    if (!cmd)
        return;
    char err[256] = "";
    jw_reset(w);
    if (!strcmp(cmd, "ping") || !strcmp(cmd, "version")) {
        jw_obj(w);
        jw_kbool(w, "ok", 1);
        jw_kstr(w, "command", cmd);
        jw_kstr(w, "version", SAMID_VERSION);
        char b[24];
        jw_kstr(w, "bridge", bridgeidstr(&D->cfg.bridge.id, b));
        jw_kstr(w, "name", D->cfg.bridge.name);
        jw_kstr(w, "config", D->conf_path);
        jw_ku64(w, "pid", (uint64_t)getpid());
        jw_ku64(w, "uptime_s", (D->now - D->started) / 1000000u);
        jw_end_obj(w);
    } else if (!strcmp(cmd, "help")) {
        jw_obj(w);
        jw_kbool(w, "ok", 1);
        jw_kstr(w, "command", "help");
        jw_key(w, "commands");
        jw_arr(w);
        static const char *const h[] = {
            "ping", "version", "help", "show migrations", "show di [UUID|MAC]", "show peers",
            "show counters", "show vsis", "load PATH", "load-begin NAME", "load-line TEXT",
            "load-end", "load-abort", "reload", "log-level error|warn|info|debug"};
        for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
            jw_str(w, h[i]);
        jw_end_arr(w);
        jw_end_obj(w);
    } else if (!strcmp(cmd, "show") && (!a1 || a3)) {
        answer_error(w, "show", "show migrations|di [UUID|MAC]|peers|counters|vsis");
    } else if (!strcmp(cmd, "show")) {
        char full[64];
        snprintf(full, sizeof full, "show %.50s", a1);
        int rc = 0;
        jw_obj(w);
        jw_kbool(w, "ok", 1);
        jw_kstr(w, "command", full);
        if (!strcmp(a1, "migrations") && !a2)
            show_migrations(w);
        else if (!strcmp(a1, "di"))
            rc = show_di(w, a2, err, sizeof err);
        else if (!strcmp(a1, "peers") && !a2)
            show_peers(w);
        else if (!strcmp(a1, "counters") && !a2)
            show_counters(w);
        else if (!strcmp(a1, "vsis") && !a2)
            show_vsis(w);
        else {
            snprintf(err, sizeof err, "unknown: show %s%s%s (migrations, di [VM], peers, "
                     "counters, vsis)", a1, a2 ? " " : "", a2 ? a2 : "");
            rc = -1;
        }
        jw_end_obj(w);
        if (rc)
            answer_error(w, full, err);
    } else if (!strcmp(cmd, "load") && a1 && !a2) {
        size_t len = 0;
        char *t = read_file(a1, &len, err, sizeof err);
        if (!t)
            answer_error(w, "load", err);
        else
            do_load(w, "load", a1, t, len);
        free(t);
    } else if (!strcmp(cmd, "load-begin")) {
        c->loading = 1;
        c->load_err = 0;
        c->load_len = 0;
        snprintf(c->load_name, sizeof c->load_name, "%s", a1 ? a1 : "samictl");
        jw_obj(w);
        jw_kbool(w, "ok", 1);
        jw_kstr(w, "command", "load-begin");
        jw_end_obj(w);
    } else if (!strcmp(cmd, "load-end") || !strcmp(cmd, "load-abort")) {
        if (!c->loading)
            answer_error(w, cmd, "no load-begin before");
        else if (!strcmp(cmd, "load-abort")) {
            jw_obj(w);
            jw_kbool(w, "ok", 1);
            jw_kstr(w, "command", cmd);
            jw_end_obj(w);
        } else if (c->load_err)
            answer_error(w, cmd, "the file is too large (or out of memory)");
        else
            do_load(w, "load", c->load_name, c->load ? c->load : "", c->load_len);
        c->loading = 0;
        c->load_len = 0;
    } else if (!strcmp(cmd, "load-line")) {
        answer_error(w, cmd, "no load-begin before");
    } else if (!strcmp(cmd, "reload") && !a1) {
        samid_request_reload();
        jw_obj(w);
        jw_kbool(w, "ok", 1);
        jw_kstr(w, "command", "reload");
        jw_kstr(w, "note", "reload scheduled; see the log for what was applied");
        jw_end_obj(w);
    } else if (!strcmp(cmd, "log-level") && a1 && !a2) {
        static const char *const lv[] = {"error", "warn", "info", "debug"};
        int l = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(a1, lv[i]))
                l = i;
        if (l < 0) {
            answer_error(w, cmd, "level is error, warn, info or debug");
        } else {
            slog_set_level(l);
            jw_obj(w);
            jw_kbool(w, "ok", 1);
            jw_kstr(w, "command", cmd);
            jw_kstr(w, "level", lv[l]);
            jw_end_obj(w);
        }
    } else {
        snprintf(err, sizeof err, "unknown request '%s' (try help)", cmd);
        answer_error(w, NULL, err);
    }
    if (w->oom)
        answer_error(w, cmd, "out of memory");
    (void)reply(c, w->buf ? w->buf : "{}", w->len);
}

static void do_accept(void)
{
    for (;;) {
        int fd = accept(D->ctl_fd, NULL, NULL);
        if (fd < 0)
            return;
        if (nclients >= MAX_CLIENTS) {
            slog_rl(SAMID_LOG_WARN, "ctl-full", "control: too many clients, one refused");
            close(fd);
            continue;
        }
        int fl = fcntl(fd, F_GETFL);
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        struct client *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        clients[nclients++] = c;
    }
}

static struct client *by_fd(int fd)
{
    for (size_t i = 0; i < nclients; i++)
        if (clients[i]->fd == fd)
            return clients[i];
    return NULL;
}

static void do_read(struct client *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, LINE_MAX_CTL - c->in_len, 0);
        if (n == 0) {
            client_free(c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                client_free(c);
            return;
        }
        c->in_len += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < c->in_len; i++) {
            if (c->in[i] != '\n')
                continue;
            c->in[i] = 0;
            int fd = c->fd;
            if (!c->overlong)
                handle_line(c, c->in + start);
            if (!by_fd(fd))
                return; /* dropped while answering: c is gone */
            c->overlong = 0;
            start = i + 1;
        }
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        if (c->in_len == LINE_MAX_CTL) {
            /* a line longer than we take: answer once, skip to its end */
            if (!c->overlong) {
                struct jw *w = &W;
                answer_error(w, NULL, "request line too long");
                if (reply(c, w->buf, w->len) != 0)
                    return;
            }
            c->overlong = 1;
            c->in_len = 0;
        }
    }
}

void ctl_handle(const struct pollfd *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!p[i].revents)
            continue;
        if (p[i].fd == D->ctl_fd) {
            do_accept();
            continue;
        }
        struct client *c = by_fd(p[i].fd);
        if (!c)
            continue;
        if (p[i].revents & POLLOUT) {
            if (flush(c) != 0)
                continue;
        }
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
            do_read(c);
    }
}
