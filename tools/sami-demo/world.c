/* One scenario run: nodes and links in the simulator, the migration
 * manager driving the hypervisors, the learners changing DI during the
 * pre-copy, the pcap tap, and the check that every record ended up exactly
 * once where it belongs. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "sami/ecp.h"
#include "sami/xfer_l2.h"

#define HV_UPLINK 0
#define FABRIC_BASE 100
#define NIGHT_US SAMI_SEC(2)        /* first migration starts */
#define STAGGER_US SAMI_MSEC(40)    /* between two migrations' starts */
#define RUN_LIMIT_US SAMI_SEC(900)  /* give up waiting after this */
#define TIME_TOL_MS 10u             /* rebasing rounds to ms at each hop */
/* 2012-03-01 01:00:00 UTC: night, as in the seeds; only for the pcap */
#define PCAP_EPOCH_US ((sami_usec_t)1330563600u * 1000000u)

/* ---- randomness ------------------------------------------------------------ */

uint64_t demo_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint32_t demo_rand_range(uint64_t *s, uint32_t lo, uint32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (uint32_t)(demo_rand(s) % ((uint64_t)hi - lo + 1u));
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    while (*s)
        h = (h ^ (uint8_t)*s++) * UINT64_C(0x100000001b3);
    return h;
}

/* ---- topology ---------------------------------------------------------------- */

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 8;
    void *q = realloc(p, c * size);
    if (!q) {
        fprintf(stderr, "sami-demo: out of memory\n");
        exit(2);
    }
    memset((char *)q + *cap * size, 0, (c - *cap) * size);
    *cap = c;
    return q;
}

static size_t br_cap, hv_cap;

/* With --pods, names say which pod: "p2-sw1", "p2-srv1a". */
static void pod_name(const struct demo_world *w, char *out, size_t cap, const char *name)
{
    if (w->o->pods > 1)
        snprintf(out, cap, "p%u-%s", w->pod + 1, name);
    else
        snprintf(out, cap, "%s", name);
}

int demo_add_bridge(struct demo_world *w, const char *name, const char *desc)
{
    w->br = grow(w->br, &br_cap, w->nbr, sizeof *w->br);
    struct demo_bridge *b = &w->br[w->nbr];
    memset(b, 0, sizeof *b);
    pod_name(w, b->name, sizeof b->name, name);
    snprintf(b->desc, sizeof b->desc, "%s", desc);
    /* bridge n: 02:53:4d:00:0b:n below 256 (the pcaps of one pod stay as
     * they were); above, the high octet goes where the 00 was */
    size_t id = w->nbr + 1;
    uint8_t mac[6] = {0x02, 0x53, 0x4d, (uint8_t)(id >> 8), 0x0b, (uint8_t)id};
    b->ref.chassis_id_subtype = 4; /* MAC address */
    b->ref.chassis_id_len = 6;
    memcpy(b->ref.chassis_id, mac, 6);
    b->ref.port_id_subtype = 5; /* interface name */
    b->ref.port_id_len = 1;
    b->ref.port_id[0] = '0';
    b->xid.priority = 0x8000;
    memcpy(b->xid.mac, mac, 6);
    return (int)w->nbr++;
}

int demo_add_hv(struct demo_world *w, const char *name, int bridge)
{
    w->hv = grow(w->hv, &hv_cap, w->nhv, sizeof *w->hv);
    struct demo_hv *h = &w->hv[w->nhv];
    memset(h, 0, sizeof *h);
    pod_name(w, h->name, sizeof h->name, name);
    h->bridge = bridge;
    h->dl_port = ++w->br[bridge].n_down;
    return (int)w->nhv++;
}

struct demo_vm *demo_add_vm(struct demo_world *w, int number, int hv, int dest_hv, int active)
{
    w->vm = grow(w->vm, &w->vm_cap, w->nvm, sizeof *w->vm);
    struct demo_vm *v = &w->vm[w->nvm++];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "VM%d", number);
    v->number = number;
    v->hv = hv;
    v->dest_hv = dest_hv;
    v->active = active;
    v->rng = w->o->seed ^ str_hash(w->sc->name) ^ ((uint64_t)number * UINT64_C(0x2545f4914f6cdd1d));
    (void)demo_rand(&v->rng);
    return v;
}

void demo_vm_net(struct demo_vm *vm, size_t nics, const uint16_t vlan[], const uint8_t ip[][4])
{
    vm->n_nics = nics > 2 ? 2 : nics;
    for (size_t i = 0; i < vm->n_nics; i++) {
        const uint8_t mac[6] = {0x52, 0x54, 0x00, (uint8_t)i, (uint8_t)(vm->number >> 8),
                                (uint8_t)vm->number};
        memcpy(vm->mac[i], mac, 6);
        vm->vlan[i] = vlan[i];
        memcpy(vm->ipv4[i], ip[i], 4);
        memset(&vm->filt[i], 0, sizeof vm->filt[i]);
        memcpy(vm->filt[i].mac, mac, 6);
        vm->filt[i].vid = vlan[i];
    }
    vm->n_ipv4 = vm->n_nics;
    /* VDP identity: a UUID (v4 layout) per VM, one VSI type per VLAN
     * profile */
    struct sami_vdp_vsi *v = &vm->vsi;
    memset(v, 0, sizeof *v);
    v->type_id = 0x010000u | vlan[0];
    v->type_ver = 1;
    v->id_format = SAMI_VDP_VSIID_UUID;
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = demo_rand(&vm->rng);
        for (int k = 0; k < 8; k++)
            v->id[i + k] = (uint8_t)(r >> (8 * k));
    }
    v->id[6] = (uint8_t)((v->id[6] & 0x0f) | 0x40);
    v->id[8] = (uint8_t)((v->id[8] & 0x3f) | 0x80);
    v->filter_format = SAMI_VDP_FILTER_MAC_VID;
    v->count = (uint16_t)vm->n_nics;
    v->filters = vm->filt;
    vm->id.type_id = v->type_id;
    vm->id.type_version = v->type_ver;
    vm->id.id_format = v->id_format;
    memcpy(vm->id.id, v->id, 16);
}

static struct demo_world *CUR; /* the world scenario callbacks run in */

static struct demo_bridge *home(struct demo_world *w, const struct demo_vm *vm)
{
    return &w->br[w->hv[vm->hv].bridge];
}

void demo_put(struct demo_world *w, struct demo_vm *vm, sami_usec_t now,
              const struct sami_di_record *rec)
{
    int rc = sami_node_bridge_put(home(w, vm)->node, now, &vm->id, rec);
    if (rc) {
        fprintf(stderr, "sami-demo: %s: learner put (%s) failed: %s\n", vm->name,
                sami_di_type_name(rec->type), sami_strerror(rc));
        w->errors++;
    }
}

void demo_del(struct demo_world *w, struct demo_vm *vm, sami_usec_t now,
              const struct sami_di_record *rec)
{
    int rc = sami_node_bridge_del(home(w, vm)->node, now, &vm->id, rec);
    if (rc) {
        fprintf(stderr, "sami-demo: %s: learner delete failed: %s\n", vm->name, sami_strerror(rc));
        w->errors++;
    }
}

/* ---- record sets --------------------------------------------------------------- */

static int recs_add(void *arg, const struct sami_di_record *rec)
{
    struct demo_recs *s = arg;
    s->r = grow(s->r, &s->cap, s->n, sizeof *s->r);
    s->r[s->n++] = *rec;
    return 0;
}

static void recs_take(struct sami_node *br, const struct sami_vm_id *vm, sami_usec_t now,
                      struct demo_recs *out)
{
    out->n = 0;
    out->at = now;
    struct sami_store s = sami_node_bridge_store(br);
    (void)sami_store_foreach(&s, vm, now, recs_add, out);
}

static void recs_free(struct demo_recs *s)
{
    free(s->r);
    memset(s, 0, sizeof *s);
}

int demo_pick(struct demo_world *w, struct demo_vm *vm, sami_usec_t now, uint8_t type,
              struct sami_di_record *out)
{
    struct demo_recs s;
    memset(&s, 0, sizeof s);
    recs_take(home(w, vm)->node, &vm->id, now, &s);
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++)
        n += s.r[i].type == type;
    int found = 0;
    if (n) {
        size_t k = demo_rand_range(&vm->rng, 0, (uint32_t)n - 1);
        for (size_t i = 0; i < s.n && !found; i++)
            if (s.r[i].type == type && k-- == 0) {
                *out = s.r[i];
                found = 1;
            }
    }
    recs_free(&s);
    return found;
}

/* Pointers to a record's timers: remaining times count down, ages up. */
struct timers {
    uint32_t *rem[2];
    uint32_t *age[2];
    int nrem, nage;
};

static void timers_of(struct sami_di_record *r, struct timers *t)
{
    memset(t, 0, sizeof *t);
    switch (r->type) {
    case SAMI_DI_DHCP: t->rem[t->nrem++] = &r->u.dhcp.lease_remaining_ms; break;
    case SAMI_DI_DHCPV6: t->rem[t->nrem++] = &r->u.dhcpv6.lease_remaining_ms; break;
    case SAMI_DI_ND: t->rem[t->nrem++] = &r->u.nd.lifetime_remaining_ms; break;
    case SAMI_DI_DOT1X:
        t->rem[t->nrem++] = &r->u.dot1x.session_remaining_ms;
        t->rem[t->nrem++] = &r->u.dot1x.reauth_remaining_ms;
        break;
    case SAMI_DI_ACL: t->rem[t->nrem++] = &r->u.acl.lifetime_remaining_ms; break;
    case SAMI_DI_IGMP: t->rem[t->nrem++] = &r->u.igmp.timer_remaining_ms; break;
    case SAMI_DI_FIREWALL:
        t->rem[t->nrem++] = &r->u.firewall.expiry_remaining_ms;
        t->age[t->nage++] = &r->u.firewall.created_age_ms;
        t->age[t->nage++] = &r->u.firewall.last_heard_age_ms;
        break;
    default: break;
    }
}

static uint32_t udiff(uint32_t a, uint32_t b)
{
    return a > b ? a - b : b - a;
}

/* Is `got` the record `want` became dt_ms later (timers moved by dt)?
 * After a transfer, timers may be off by up to slack_ms either way: the
 * destination anchors remaining times at "snapshot age + srtt/2"; the
 * engine keeps both honest under loss (docs/ENGINES-TRANSFER.md), but a
 * batch of several fragments whose fragment 0 is resent once still keeps
 * one link timeout in its age, so the tolerance stays bounded by the
 * migration's transfer window. The largest deviation seen is kept in *skew. */
static int same_record(const struct sami_di_record *want, const struct sami_di_record *got,
                       uint32_t dt_ms, uint32_t slack_ms, uint32_t *skew)
{
    struct sami_di_record a = *want, b = *got;
    struct timers ta, tb;
    timers_of(&a, &ta);
    timers_of(&b, &tb);
    int ok = 1;
    for (int i = 0; i < ta.nrem; i++) {
        uint32_t w = *ta.rem[i], g = *tb.rem[i];
        if (w == SAMI_DI_INFINITE) {
            ok &= g == SAMI_DI_INFINITE;
        } else {
            uint32_t e = w > dt_ms ? w - dt_ms : 0;
            uint32_t d = udiff(g, e);
            if (d > *skew)
                *skew = d;
            ok &= d <= TIME_TOL_MS + slack_ms;
        }
        *ta.rem[i] = *tb.rem[i] = 0;
    }
    for (int i = 0; i < ta.nage; i++) {
        uint32_t w = *ta.age[i], g = *tb.age[i];
        uint32_t e = w > UINT32_MAX - dt_ms ? UINT32_MAX : w + dt_ms;
        uint32_t d = udiff(g, e);
        if (d > *skew)
            *skew = d;
        ok &= d <= TIME_TOL_MS + slack_ms;
        *ta.age[i] = *tb.age[i] = 0;
    }
    a.op = b.op = SAMI_DI_OP_UPSERT;
    uint8_t ea[SAMI_DI_MAX_LEN], eb[SAMI_DI_MAX_LEN];
    size_t la = 0, lb = 0;
    if (sami_di_encode(&a, ea, sizeof ea, &la) || sami_di_encode(&b, eb, sizeof eb, &lb))
        return 0;
    return ok && la == lb && memcmp(ea, eb, la) == 0;
}

/* SAMI_DEMO_DEBUG=1: why a record counts as altered (stderr). */
static void explain(const struct demo_vm *vm, const struct sami_di_record *want,
                    const struct demo_recs *got, uint32_t dt)
{
    for (size_t j = 0; j < got->n; j++) {
        if (!sami_di_key_equal(want, &got->r[j]))
            continue;
        struct sami_di_record a = *want, b = got->r[j];
        struct timers ta, tb;
        timers_of(&a, &ta);
        timers_of(&b, &tb);
        fprintf(stderr, "sami-demo: %s %s altered (dt %u ms):", vm->name,
                sami_di_type_name(want->type), dt);
        for (int k = 0; k < ta.nrem; k++)
            fprintf(stderr, " remaining %u -> %u", *ta.rem[k], *tb.rem[k]);
        for (int k = 0; k < ta.nage; k++)
            fprintf(stderr, " age %u -> %u", *ta.age[k], *tb.age[k]);
        uint8_t ea[SAMI_DI_MAX_LEN], eb[SAMI_DI_MAX_LEN];
        size_t la = 0, lb = 0;
        for (int k = 0; k < ta.nrem; k++)
            *ta.rem[k] = *tb.rem[k] = 0;
        for (int k = 0; k < ta.nage; k++)
            *ta.age[k] = *tb.age[k] = 0;
        if (!sami_di_encode(&a, ea, sizeof ea, &la) && !sami_di_encode(&b, eb, sizeof eb, &lb))
            fprintf(stderr, "; other fields %s",
                    la == lb && !memcmp(ea, eb, la) ? "equal" : "differ");
        fputc('\n', stderr);
    }
}

/* Whether a record may have aged out by now (its expiring timer ran out). */
static int may_expire(const struct sami_di_record *r, uint32_t dt_ms)
{
    uint32_t e = sami_store_expiry_ms(r);
    return e != SAMI_DI_INFINITE && e <= dt_ms + TIME_TOL_MS;
}

/* Compares what the VM had (snap) with what `got` holds now. */
static void compare(struct demo_vm *vm, const struct demo_recs *snap, const struct demo_recs *got,
                    uint32_t slack_ms)
{
    uint32_t dt = (uint32_t)((got->at - snap->at) / 1000u);
    char *used = calloc(got->n ? got->n : 1, 1);
    if (!used)
        exit(2);
    for (size_t i = 0; i < snap->n; i++) {
        const struct sami_di_record *want = &snap->r[i];
        int hits = 0, equal = 0;
        for (size_t j = 0; j < got->n; j++) {
            if (!sami_di_key_equal(want, &got->r[j]))
                continue;
            hits++;
            used[j] = 1;
            equal |= same_record(want, &got->r[j], dt, slack_ms, &vm->skew_ms);
        }
        if (hits == 0 && !may_expire(want, dt))
            vm->lost++;
        if (hits > 1)
            vm->dup += (uint32_t)hits - 1u;
        if (hits && !equal) {
            vm->changed++;
            if (getenv("SAMI_DEMO_DEBUG"))
                explain(vm, want, got, dt);
        }
    }
    for (size_t j = 0; j < got->n; j++)
        vm->extra += !used[j];
    free(used);
}

/* ---- the simulator side ----------------------------------------------------------- */

static void node_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    struct demo_tx *t = ctx;
    (void)sami_sim_send(t->sim, t->id, port, frame, len);
}

static const struct sami_sim_node_ops NODE_OPS = {sami_node_rx, sami_node_next_deadline,
                                                   sami_node_run, sami_node_restart};

static void tap(void *arg, sami_usec_t t, int from, int to, const uint8_t *frame, size_t len,
                int event)
{
    struct demo_world *w = arg;
    (void)from, (void)to;
    if (event != SAMI_SIM_TAP_SENT)
        return;
    w->st.frames++;
    w->st.bytes += len;
    uint16_t et = len >= 14 ? (uint16_t)(frame[12] << 8 | frame[13]) : 0;
    if (et == SAMI_ECP_ETHERTYPE)
        w->st.ecp_frames++;
    else if (et == SAMI_XFER_L2_ETHERTYPE)
        w->st.xfer_frames++;
    if (w->pcap) {
        uint8_t rh[SAMI_SIM_PCAP_RECORD_HEADER_LEN];
        sami_sim_pcap_record_header(rh, t, w->pcap_epoch, (uint32_t)len, (uint32_t)len);
        if (fwrite(rh, 1, sizeof rh, w->pcap) != sizeof rh || fwrite(frame, 1, len, w->pcap) != len)
            w->errors++;
    }
}

/* The mover with this migration id: binary search in w->by_mig (the
 * first in VM order if two movers drew the same id, as a scan would). */
static struct demo_vm *vm_by_mig(struct demo_world *w, uint64_t mig)
{
    size_t lo = 0, hi = w->n_by_mig;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->by_mig[mid]->mig_id < mig)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n_by_mig && w->by_mig[lo]->mig_id == mig ? w->by_mig[lo] : NULL;
}

static int cmp_mig(const void *a, const void *b)
{
    const struct demo_vm *x = *(const struct demo_vm *const *)a;
    const struct demo_vm *y = *(const struct demo_vm *const *)b;
    if (x->mig_id != y->mig_id)
        return x->mig_id < y->mig_id ? -1 : 1;
    return x < y ? -1 : x > y;
}

static void index_movers(struct demo_world *w)
{
    w->by_mig = calloc(w->nvm + 1, sizeof *w->by_mig);
    if (!w->by_mig)
        exit(2);
    w->n_by_mig = 0;
    for (size_t i = 0; i < w->nvm; i++)
        if (w->vm[i].dest_hv >= 0)
            w->by_mig[w->n_by_mig++] = &w->vm[i];
    qsort(w->by_mig, w->n_by_mig, sizeof *w->by_mig, cmp_mig);
}

/* --pods: every third mover of a pod (the 1st, 4th, 7th... in VM order)
 * goes to the same server of the next pod (the last pod's to the first),
 * so part of the transfers cross pods over the shared fabric. */
static void cross_pods(struct demo_world *w)
{
    unsigned P = w->o->pods;
    if (P < 2 || w->nhv % P)
        return;
    size_t per = w->nhv / P;
    size_t *k = calloc(P, sizeof *k);
    if (!k)
        exit(2);
    for (size_t i = 0; i < w->nvm; i++) {
        struct demo_vm *vm = &w->vm[i];
        if (vm->dest_hv < 0)
            continue;
        size_t pod = (size_t)vm->hv / per;
        if (k[pod]++ % 3 == 0) {
            vm->dest_hv = (int)(((pod + 1) % P) * per + (size_t)vm->dest_hv % per);
            w->cross_pod++;
        }
    }
    free(k);
}

static void port_ref(const struct demo_world *w, int hv, struct sami_bridge_ref *out)
{
    const struct demo_hv *h = &w->hv[hv];
    *out = w->br[h->bridge].ref;
    out->port_id_len = (uint8_t)snprintf((char *)out->port_id, sizeof out->port_id, "eth%d",
                                         h->dl_port);
}

static void touch(struct demo_world *w, int hv)
{
    sami_sim_touch(w->sim, w->hv[hv].tx.id);
}

static void hv_tp(struct demo_world *w, struct demo_vm *vm, int hv, sami_usec_t now, int tp,
                  uint32_t next_ms)
{
    int rc = sami_node_hv_time_point(w->hv[hv].node, now, vm->mig_id, tp, next_ms);
    if (rc) {
        fprintf(stderr, "sami-demo: %s: %s at %s: %s\n", vm->name, sami_tp_name(tp),
                w->hv[hv].name, sami_strerror(rc));
        w->errors++;
    }
    touch(w, hv);
}

static void abort_both(struct demo_world *w, struct demo_vm *vm, sami_usec_t now, uint16_t why)
{
    vm->phase = PH_ABORTING;
    (void)sami_node_hv_abort(w->hv[vm->hv].node, now, vm->mig_id, why);
    (void)sami_node_hv_abort(w->hv[vm->dest_hv].node, now, vm->mig_id, why);
    touch(w, vm->hv);
    touch(w, vm->dest_hv);
}

/* The manager: what each hypervisor's outcome leads to (docs/FLOWS.md). */
static void on_verdict(void *ctx, struct sami_node *node, sami_usec_t now,
                       const struct sami_mig_hv_verdict *v)
{
    struct demo_world *w = ctx;
    struct demo_vm *vm = vm_by_mig(w, v->mig_id);
    if (!vm)
        return;
    int at_source = node == w->hv[vm->hv].node;
    int o = v->outcome;
    switch (v->time_point) {
    case SAMI_TP_PREPARE:
        /* a bridge refused up front (or gave up on the pre-copy) */
        if ((o == SAMI_MIG_HV_ROLLBACK || o == SAMI_MIG_HV_TIMEOUT) && vm->phase == PH_PREPARED)
            abort_both(w, vm, now, SAMI_ABORT_ROLLBACK);
        break;
    case SAMI_TP_SUSPENDED:
        if (!at_source || vm->phase != PH_SUSPENDED)
            break;
        vm->out_suspend = o;
        if (o == SAMI_MIG_HV_PROCEED) {
            vm->t_proceed = now;
            vm->n_res = v->n_results;
            memcpy(vm->res, v->results, v->n_results * sizeof v->results[0]);
            /* the manager resumes the VM at the destination */
            vm->phase = PH_RESUMING;
            hv_tp(w, vm, vm->dest_hv, now, SAMI_TP_RESUMED, 2000);
        } else {
            abort_both(w, vm, now, SAMI_ABORT_ROLLBACK);
        }
        break;
    case SAMI_TP_RESUMED:
        if (at_source || vm->phase != PH_RESUMING)
            break;
        vm->out_resume = o;
        vm->phase = PH_COMPLETING;
        if (o == SAMI_MIG_HV_PROCEED) {
            hv_tp(w, vm, vm->hv, now, SAMI_TP_COMPLETED, 0);
            hv_tp(w, vm, vm->dest_hv, now, SAMI_TP_COMPLETED, 0);
        } else {
            vm->phase = PH_DONE; /* runs at the destination without its DI */
        }
        break;
    case SAMI_TP_COMPLETED:
        if (at_source)
            vm->out_complete_s = o;
        else
            vm->out_complete_d = o;
        if (vm->out_complete_s && vm->out_complete_d)
            vm->phase = PH_DONE;
        break;
    case SAMI_TP_ABORTED:
        if (at_source)
            vm->out_abort_s = o;
        else
            vm->out_abort_d = o;
        if (vm->out_abort_s && vm->out_abort_d)
            vm->phase = PH_DONE;
        break;
    default:
        break;
    }
}

static void ev_assoc(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    struct demo_vm *vm = arg;
    struct demo_world *w = CUR;
    (void)sim;
    int rc = sami_node_hv_vdp(w->hv[vm->hv].node, now, &vm->vsi, SAMI_VDP_TLV_ASSOC, 0);
    if (rc) {
        fprintf(stderr, "sami-demo: %s: VDP associate: %s\n", vm->name, sami_strerror(rc));
        w->errors++;
    }
}

static void ev_start(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    struct demo_vm *vm = arg;
    struct demo_world *w = CUR;
    (void)sim;
    struct sami_bridge_ref orig, dest;
    port_ref(w, vm->hv, &orig);
    port_ref(w, vm->dest_hv, &dest);
    uint32_t pre_ms = (uint32_t)(vm->precopy_us / 1000u);
    /* HV-D announces first (FLOWS: BR-D must expect the migration before
     * BR-O's pre-copy arrives; BR-O retries if it does not yet). */
    int rc = sami_node_hv_migrate(w->hv[vm->dest_hv].node, now, vm->mig_id, &vm->vsi, &orig,
                                  &dest, SAMI_MIG_HV_DEST, vm->di_types, vm->ipv4, vm->n_ipv4,
                                  NULL, 0);
    if (!rc)
        rc = sami_node_hv_migrate(w->hv[vm->hv].node, now, vm->mig_id, &vm->vsi, &orig, &dest,
                                  SAMI_MIG_HV_SOURCE, vm->di_types, vm->ipv4, vm->n_ipv4, NULL, 0);
    if (rc) {
        fprintf(stderr, "sami-demo: %s: start: %s\n", vm->name, sami_strerror(rc));
        w->errors++;
        vm->phase = PH_DONE;
        return;
    }
    vm->phase = PH_PREPARED;
    /* next deadlines: RESUMED (dest) and SUSPENDED (source) are due after
     * the memory pre-copy */
    hv_tp(w, vm, vm->dest_hv, now, SAMI_TP_PREPARE, pre_ms + 5000u);
    hv_tp(w, vm, vm->hv, now, SAMI_TP_PREPARE, pre_ms + 2000u);
}

static void ev_mutate(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    struct demo_vm *vm = arg;
    struct demo_world *w = CUR;
    (void)sim;
    if (vm->phase != PH_PREPARED)
        return;
    vm->mutations++;
    w->sc->mutate(w, vm, now);
}

static void ev_suspend(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    struct demo_vm *vm = arg;
    struct demo_world *w = CUR;
    (void)sim;
    if (vm->phase != PH_PREPARED)
        return;
    /* The VM stops now: this is the exact DI that must arrive. */
    recs_take(home(w, vm)->node, &vm->id, now, &vm->snap);
    vm->t_suspend = now;
    vm->phase = PH_SUSPENDED;
    hv_tp(w, vm, vm->hv, now, SAMI_TP_SUSPENDED, 2000);
}

/* ---- building ------------------------------------------------------------------------ */

static void link_params(const struct demo_world *w, struct sami_sim_link_params *p,
                        sami_usec_t delay, uint64_t bps)
{
    memset(p, 0, sizeof *p);
    p->delay_us = delay;
    p->jitter_us = delay / 4 + 1;
    p->bandwidth_bps = bps;
    p->loss = w->o->loss;
    /* with loss come its companions: duplicates and reordering */
    p->duplicate = w->o->loss / 3;
    p->reorder = w->o->loss / 3;
}

static int make_nodes(struct demo_world *w)
{
    size_t per_hv = 0;
    size_t *on_hv = calloc(w->nhv + 1, sizeof *on_hv);
    if (!on_hv)
        exit(2);
    for (size_t k = 0; k < w->nvm; k++) {
        on_hv[w->vm[k].hv]++;
        if (w->vm[k].dest_hv >= 0)
            on_hv[w->vm[k].dest_hv]++;
    }
    for (size_t i = 0; i < w->nhv; i++)
        if (on_hv[i] > per_hv)
            per_hv = on_hv[i];
    free(on_hv);
    size_t movers = 0;
    for (size_t k = 0; k < w->nvm; k++)
        movers += w->vm[k].dest_hv >= 0;

    struct sami_xfer_keyring kr;
    memset(&kr, 0, sizeof kr);
    kr.keys[0].id = 1;
    kr.keys[0].len = 32;
    uint64_t ks = w->key_seed;
    for (int i = 0; i < 32; i++)
        kr.keys[0].bytes[i] = (uint8_t)demo_rand(&ks);

    for (size_t b = 0; b < w->nbr; b++) {
        struct demo_bridge *br = &w->br[b];
        struct sami_node_bridge_cfg c;
        sami_node_bridge_cfg_default(&c);
        c.name = br->name;
        c.local = br->ref;
        c.xfer_id = br->xid;
        struct sami_node_downlink *dl = calloc((size_t)br->n_down + 1, sizeof *dl);
        struct sami_node_peer *pe = calloc(w->nbr, sizeof *pe);
        if (!dl || !pe)
            exit(2);
        for (int d = 0; d < br->n_down; d++) {
            dl[d].port = d + 1;
            /* bridges above 255 (--pods) put the high octet in the top nibble */
            const uint8_t mac[6] = {0x02, 0x53, 0x4d, (uint8_t)(0x01 | ((b + 1) >> 8) << 4),
                                    (uint8_t)(b + 1), (uint8_t)(d + 1)};
            memcpy(dl[d].mac, mac, 6);
        }
        size_t np = 0;
        for (size_t o = 0; o < w->nbr; o++) {
            if (o == b)
                continue;
            pe[np].ref = w->br[o].ref;
            pe[np].id = w->br[o].xid;
            pe[np].port = FABRIC_BASE + (int)o;
            np++;
        }
        c.downlinks = dl;
        c.n_downlinks = (size_t)br->n_down;
        c.peers = pe;
        c.n_peers = np;
        c.keyring = kr;
        memcpy(c.mgrid, br->name, strlen(br->name));
        /* R = 7 (the EVB maximum) so ECP rides out heavy loss; every other
         * timer is the engines' default or the hypervisors' hint */
        c.vdp.r = 7;
        c.max_vsis = 16 + 2 * per_hv;
        c.ecp_slots = 64 + 2 * per_hv;
        /* With --pods, tables are sized by what passes through this bridge
         * (one pod's share, not the whole fabric's). */
        size_t mine = movers;
        if (w->o->pods > 1) {
            mine = 0;
            for (size_t k = 0; k < w->nvm; k++)
                mine += w->vm[k].dest_hv >= 0 && (w->hv[w->vm[k].hv].bridge == (int)b ||
                                                  w->hv[w->vm[k].dest_hv].bridge == (int)b);
        }
        c.max_migrations = 32 + 2 * mine;
        c.xfer_limits.max_migrations = (uint32_t)(32 + 2 * mine);
        /* the L2 link's resend timer sized to the fabric (RTT plus a window
         * of 1500-octet frames at 1 Gbit/s), not the 10 ms default */
        c.link_rto = 8u * w->sc->fabric_delay_us > SAMI_MSEC(1) ? 8u * w->sc->fabric_delay_us
                                                                 : SAMI_MSEC(1);
        c.link_retries = 16;
        c.tx = node_tx;
        c.tx_ctx = &br->tx;
        int rc = sami_node_bridge_create(&c, &br->node);
        free(dl);
        free(pe);
        if (rc) {
            fprintf(stderr, "sami-demo: bridge %s: %s\n", br->name, sami_strerror(rc));
            return rc;
        }
        br->tx.sim = w->sim;
        br->tx.id = sami_sim_add_node(w->sim, br->name, &NODE_OPS, br->node);
    }
    for (size_t h = 0; h < w->nhv; h++) {
        struct demo_hv *hv = &w->hv[h];
        struct sami_node_hv_cfg c;
        sami_node_hv_cfg_default(&c);
        c.name = hv->name;
        c.port = HV_UPLINK;
        const uint8_t mac[6] = {0x02, 0x53, 0x4d, 0x02, (uint8_t)(h >> 8), (uint8_t)(h + 1)};
        memcpy(c.mac, mac, 6);
        memcpy(c.mgrid, hv->name, strlen(hv->name));
        c.vdp.r = 7;
        c.mig.ack_timeout = SAMI_MSEC(200);
        c.mig.max_retries = 5;
        c.max_vsis = 16 + 2 * per_hv;
        c.ecp_slots = 64 + 2 * per_hv;
        c.max_migrations = 32 + 2 * per_hv;
        c.tx = node_tx;
        c.tx_ctx = &hv->tx;
        c.verdict = on_verdict;
        c.ctx = w;
        int rc = sami_node_hv_create(&c, &hv->node);
        if (rc) {
            fprintf(stderr, "sami-demo: hypervisor %s: %s\n", hv->name, sami_strerror(rc));
            return rc;
        }
        hv->tx.sim = w->sim;
        hv->tx.id = sami_sim_add_node(w->sim, hv->name, &NODE_OPS, hv->node);
    }
    struct sami_sim_link_params p;
    for (size_t h = 0; h < w->nhv; h++) {
        struct demo_hv *hv = &w->hv[h];
        link_params(w, &p, 5, UINT64_C(10000000000));
        hv->link = sami_sim_link(w->sim, hv->tx.id, HV_UPLINK, w->br[hv->bridge].tx.id,
                                 hv->dl_port, &p);
        if (hv->link < 0)
            return hv->link;
    }
    for (size_t a = 0; a < w->nbr; a++)
        for (size_t b = a + 1; b < w->nbr; b++) {
            link_params(w, &p, w->sc->fabric_delay_us, UINT64_C(1000000000));
            int l = sami_sim_link(w->sim, w->br[a].tx.id, FABRIC_BASE + (int)b, w->br[b].tx.id,
                                  FABRIC_BASE + (int)a, &p);
            if (l < 0)
                return l;
        }
    return 0;
}

static void schedule(struct demo_world *w)
{
    size_t k = 0;
    for (size_t i = 0; i < w->nvm; i++) {
        struct demo_vm *vm = &w->vm[i];
        int hv_sim = w->hv[vm->hv].tx.id;
        /* daytime: every running VM's VSI is associated at its bridge */
        (void)sami_sim_at_node(w->sim, hv_sim, SAMI_MSEC(1) + (sami_usec_t)i * 20u, ev_assoc, vm);
        if (vm->dest_hv < 0)
            continue;
        vm->mig_id = demo_rand(&vm->rng);
        vm->t_start = NIGHT_US + (sami_usec_t)k++ * STAGGER_US;
        /* memory pre-copy of a 2-8 GB VM: seconds */
        vm->precopy_us = SAMI_MSEC(demo_rand_range(&vm->rng, 1500, 6000));
        /* node timers: the callbacks touch both hypervisors themselves, so
         * the simulator need not re-read every node's deadline after them */
        (void)sami_sim_at_node(w->sim, hv_sim, vm->t_start, ev_start, vm);
        uint32_t n = demo_rand_range(&vm->rng, 2, 5);
        for (uint32_t m = 0; m < n; m++) {
            uint32_t span = (uint32_t)(vm->precopy_us - SAMI_MSEC(20));
            sami_usec_t t = vm->t_start + SAMI_MSEC(10) + demo_rand_range(&vm->rng, 0, span);
            (void)sami_sim_at_node(w->sim, w->br[w->hv[vm->hv].bridge].tx.id, t, ev_mutate, vm);
        }
        (void)sami_sim_at_node(w->sim, hv_sim, vm->t_start + vm->precopy_us, ev_suspend, vm);
    }
}

static int terminal(const struct sami_node *br, uint64_t mig)
{
    struct sami_mig_bridge_info info;
    if (sami_mig_bridge_get(sami_node_bridge_mig(br), mig, &info) != 0)
        return 1;
    return info.state == SAMI_MIG_BRIDGE_DONE || info.state == SAMI_MIG_BRIDGE_FAILED;
}

static int all_done(const struct demo_world *w)
{
    /* the cheap test first: asking the bridges costs a table lookup each */
    for (size_t i = 0; i < w->nvm; i++)
        if (w->vm[i].dest_hv >= 0 && w->vm[i].phase != PH_DONE)
            return 0;
    for (size_t i = 0; i < w->nvm; i++) {
        const struct demo_vm *vm = &w->vm[i];
        if (vm->dest_hv < 0)
            continue;
        if (!terminal(w->br[w->hv[vm->hv].bridge].node, vm->mig_id) ||
            !terminal(w->br[w->hv[vm->dest_hv].bridge].node, vm->mig_id))
            return 0;
    }
    return 1;
}

/* ---- checking ------------------------------------------------------------------------ */

static void verify(struct demo_world *w, sami_usec_t now)
{
    for (size_t i = 0; i < w->nvm; i++) {
        struct demo_vm *vm = &w->vm[i];
        struct demo_recs got;
        memset(&got, 0, sizeof got);
        for (size_t k = 0; k < vm->snap.n; k++)
            vm->moved[vm->snap.r[k].type]++;
        struct sami_node *src = home(w, vm)->node;
        if (vm->dest_hv < 0) {
            recs_take(src, &vm->id, now, &got);
            compare(vm, &vm->snap, &got, 0);
            vm->verdict = "stayed";
        } else {
            struct sami_node *dst = w->br[w->hv[vm->dest_hv].bridge].node;
            int moved = vm->out_suspend == SAMI_MIG_HV_PROCEED;
            struct sami_node *there = moved ? dst : src, *other = moved ? src : dst;
            recs_take(there, &vm->id, now, &got);
            /* the transfer window: PREPARE to the decision */
            sami_usec_t win = (vm->t_proceed > vm->t_start ? vm->t_proceed : vm->t_suspend) -
                              vm->t_start;
            compare(vm, &vm->snap, &got, moved ? (uint32_t)(win / 1000u) : 0);
            struct sami_store so = sami_node_bridge_store(other);
            int left = sami_store_count(&so, &vm->id, NULL);
            vm->left = left > 0 ? (uint32_t)left : 0;
            struct sami_store st = sami_node_bridge_store(there);
            int fl = sami_store_vm_flags(&st, &vm->id);
            if (fl > 0 && (fl & (SAMI_STORE_VM_FROZEN | SAMI_STORE_VM_PENDING |
                                 SAMI_STORE_VM_STAGING)))
                vm->changed++; /* stuck half-way */
            for (unsigned r = 0; r < vm->n_res; r++)
                if (vm->res[r].di_type < DEMO_TYPES)
                    vm->installed[vm->res[r].di_type] = vm->res[r].records_installed;
            if (moved && vm->out_resume == SAMI_MIG_HV_PROCEED)
                vm->verdict = "moved";
            else if (!moved && vm->phase == PH_DONE)
                vm->verdict = "rolled-back";
            else
                vm->verdict = "FAILED";
        }
        vm->ok = !vm->lost && !vm->dup && !vm->left && !vm->extra && !vm->changed &&
                 strcmp(vm->verdict, "FAILED") != 0;
        recs_free(&got);
    }
}

static void gather_stats(struct demo_world *w)
{
    struct demo_stats *s = &w->st;
    for (int l = 0; l < sami_sim_link_count(w->sim); l++)
        for (int d = SAMI_SIM_DIR_AB; d <= SAMI_SIM_DIR_BA; d++) {
            struct sami_sim_link_stats ls;
            if (sami_sim_link_stats(w->sim, l, d, &ls) == 0) {
                s->lost += ls.lost;
                s->dup += ls.duplicated;
                s->reordered += ls.reordered;
            }
        }
    for (size_t b = 0; b < w->nbr; b++) {
        const struct sami_node *n = w->br[b].node;
        const struct sami_node_counters *c = sami_node_counters(n);
        s->fb_riding += c->fb_tx_riding;
        s->fb_standalone += c->fb_tx_standalone;
        s->xfer_retransmits += sami_xfer_engine_counters(sami_node_bridge_xfer(n))->retransmits;
        s->link_retx += sami_xfer_link_stats(sami_node_bridge_link(n))->frames_retx;
        for (int d = 1; d <= w->br[b].n_down; d++)
            s->ecp_retries += sami_ecp_engine_stats(&sami_node_bridge_vdp(n, d)->ecp)->retries;
    }
    for (size_t h = 0; h < w->nhv; h++) {
        const struct sami_node *n = w->hv[h].node;
        const struct sami_node_counters *c = sami_node_counters(n);
        s->notif_riding += c->notif_tx_riding;
        s->notif_standalone += c->notif_tx_standalone;
        s->notif_rtx += sami_mig_hv_get_counters(sami_node_hv_mig(n))->notif_rtx;
        s->ecp_retries += sami_ecp_engine_stats(&sami_node_hv_station(n)->ecp)->retries;
    }
}

/* ---- output -------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t pct(const uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t r = (size_t)ceil(p / 100.0 * (double)n);
    return v[r ? r - 1 : 0];
}

static void where(const struct demo_world *w, int hv, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", w->br[w->hv[hv].bridge].name, w->hv[hv].name);
}

static void types_text(const struct demo_vm *vm, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (unsigned t = 1; t < DEMO_TYPES; t++) {
        if (!vm->moved[t] && !vm->installed[t])
            continue;
        int n = snprintf(out + o, cap - o, "%s%s %u/%u", o ? " " : "", sami_di_type_name(t),
                         vm->moved[t], vm->installed[t]);
        if (n < 0 || (size_t)n >= cap - o)
            break;
        o += (size_t)n;
    }
}

struct summary {
    size_t migrations, moved, rolled_back, failed, stayed, stayed_ok;
    uint64_t records, installed, lost, dup, left, extra, changed;
    uint32_t skew_ms;
    uint64_t *blackout;
    size_t nb;
};

static void summarize(const struct demo_world *w, struct summary *s)
{
    memset(s, 0, sizeof *s);
    s->blackout = calloc(w->nvm + 1, sizeof *s->blackout);
    if (!s->blackout)
        exit(2);
    for (size_t i = 0; i < w->nvm; i++) {
        const struct demo_vm *vm = &w->vm[i];
        s->lost += vm->lost;
        s->dup += vm->dup;
        s->left += vm->left;
        s->extra += vm->extra;
        s->changed += vm->changed;
        if (vm->dest_hv < 0) {
            s->stayed++;
            s->stayed_ok += (size_t)vm->ok;
            continue;
        }
        s->migrations++;
        for (unsigned t = 1; t < DEMO_TYPES; t++) {
            s->records += vm->moved[t];
            s->installed += vm->installed[t];
        }
        if (vm->skew_ms > s->skew_ms)
            s->skew_ms = vm->skew_ms;
        if (!strcmp(vm->verdict, "moved")) {
            s->moved++;
            s->blackout[s->nb++] = vm->t_proceed - vm->t_suspend;
        } else if (!strcmp(vm->verdict, "rolled-back")) {
            s->rolled_back++;
        } else {
            s->failed++;
        }
    }
    qsort(s->blackout, s->nb, sizeof *s->blackout, cmp_u64);
}

static void print_text(const struct demo_world *w, const struct summary *s, FILE *out,
                       sami_usec_t end)
{
    const struct demo_opts *o = w->o;
    fprintf(out, "== %s: %s\n   %s; seed %" PRIu64 ", scale %u, loss %.2f\n", w->sc->name,
            w->sc->title, w->sc->source, o->seed, o->scale, o->loss);
    fprintf(out, "   %zu bridges, %zu hypervisors, %zu VMs (%zu migrate, %zu stay)\n", w->nbr,
            w->nhv, w->nvm, s->migrations, s->stayed);
    if (o->pods > 1)
        fprintf(out,
                "   %u pods in one fabric, every bridge peered with every other; %zu of the %zu "
                "migrations cross pods\n",
                o->pods, w->cross_pod, s->migrations);
    int wf = 4, wt = 2;
    for (size_t i = 0; i < w->nvm; i++) {
        char b[64];
        if (w->vm[i].dest_hv < 0)
            continue;
        where(w, w->vm[i].hv, b, sizeof b);
        wf = (int)strlen(b) > wf ? (int)strlen(b) : wf;
        where(w, w->vm[i].dest_hv, b, sizeof b);
        wt = (int)strlen(b) > wt ? (int)strlen(b) : wt;
    }
    fprintf(out, "   %-7s %-*s %-*s %9s %-11s %s\n", "VM", wf, "from", wt, "to", "blackout",
            "verdict", "records moved/installed per type");
    for (size_t i = 0; i < w->nvm; i++) {
        const struct demo_vm *vm = &w->vm[i];
        if (vm->dest_hv < 0)
            continue;
        char from[64], to[64], ty[256], bo[32];
        where(w, vm->hv, from, sizeof from);
        where(w, vm->dest_hv, to, sizeof to);
        types_text(vm, ty, sizeof ty);
        if (!strcmp(vm->verdict, "moved"))
            snprintf(bo, sizeof bo, "%.3fms", (double)(vm->t_proceed - vm->t_suspend) / 1000.0);
        else
            snprintf(bo, sizeof bo, "-");
        fprintf(out, "   %-7s %-*s %-*s %9s %-11s %s", vm->name, wf, from, wt, to, bo, vm->verdict,
                ty);
        if (!vm->ok)
            fprintf(out, "  [lost %u dup %u left %u extra %u changed %u]", vm->lost, vm->dup,
                    vm->left, vm->extra, vm->changed);
        fputc('\n', out);
    }
    fprintf(out,
            "   summary: %zu migrations: %zu moved, %zu rolled back, %zu failed; %" PRIu64
            " records moved, %" PRIu64 " installed; lost %" PRIu64 ", duplicated %" PRIu64
            ", left behind %" PRIu64 ", extra %" PRIu64 ", altered %" PRIu64 "\n",
            s->migrations, s->moved, s->rolled_back, s->failed, s->records, s->installed, s->lost,
            s->dup, s->left, s->extra, s->changed);
    fprintf(out,
            "   blackout (SUSPENDED sent -> PROCEED received, simulated): p50 %.3f ms, p99 %.3f "
            "ms, max %.3f ms\n",
            (double)pct(s->blackout, s->nb, 50) / 1000.0,
            (double)pct(s->blackout, s->nb, 99) / 1000.0,
            s->nb ? (double)s->blackout[s->nb - 1] / 1000.0 : 0.0);
    fprintf(out,
            "   timers at the destination: off by at most %u ms after rebasing; VMs that stay: "
            "%zu/%zu with their DI intact\n",
            s->skew_ms, s->stayed_ok, s->stayed);
    const struct demo_stats *t = &w->st;
    fprintf(out,
            "   wire: %" PRIu64 " frames (%" PRIu64 " ECP/VDP, %" PRIu64 " transfer L2), %" PRIu64
            " bytes; link lost %" PRIu64 ", duplicated %" PRIu64 ", reordered %" PRIu64 "\n",
            t->frames, t->ecp_frames, t->xfer_frames, t->bytes, t->lost, t->dup, t->reordered);
    fprintf(out,
            "   recovery: ECP retries %" PRIu64 ", notification retransmits %" PRIu64
            ", transfer retransmits %" PRIu64 ", L2 fragment resends %" PRIu64 "\n",
            t->ecp_retries, t->notif_rtx, t->xfer_retransmits, t->link_retx);
    fprintf(out,
            "   carriage: notifications %" PRIu64 " on VDP requests, %" PRIu64
            " standalone; feedback %" PRIu64 " on VDP responses, %" PRIu64 " standalone\n",
            t->notif_riding, t->notif_standalone, t->fb_riding, t->fb_standalone);
    fprintf(out, "   simulated time %.3f s; %s\n\n", (double)end / 1e6,
            w->errors ? "ERRORS (see stderr)" : "no engine errors");
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static void print_json(const struct demo_world *w, const struct summary *s, FILE *out,
                       sami_usec_t end, int ok)
{
    fprintf(out, "{\"scenario\":");
    json_str(out, w->sc->name);
    fprintf(out, ",\"title\":");
    json_str(out, w->sc->title);
    fprintf(out, ",\"source\":");
    json_str(out, w->sc->source);
    fprintf(out, ",\"seed\":%" PRIu64 ",\"scale\":%u,\"loss\":%.4f,\"bridges\":%zu,"
                 "\"hypervisors\":%zu,\"vms\":%zu,",
            w->o->seed, w->o->scale, w->o->loss, w->nbr, w->nhv, w->nvm);
    /* only with --pods: one-pod documents stay as they were */
    if (w->o->pods > 1)
        fprintf(out, "\"pods\":%u,\"cross_pod_migrations\":%zu,", w->o->pods, w->cross_pod);
    fprintf(out, "\"migrations\":[");
    int first = 1;
    for (size_t i = 0; i < w->nvm; i++) {
        const struct demo_vm *vm = &w->vm[i];
        if (vm->dest_hv < 0)
            continue;
        char from[64], to[64];
        where(w, vm->hv, from, sizeof from);
        where(w, vm->dest_hv, to, sizeof to);
        fprintf(out, "%s{\"vm\":", first ? "" : ",");
        first = 0;
        json_str(out, vm->name);
        fprintf(out, ",\"migration_id\":\"%016" PRIx64 "\",\"from\":", vm->mig_id);
        json_str(out, from);
        fprintf(out, ",\"to\":");
        json_str(out, to);
        fprintf(out, ",\"verdict\":");
        json_str(out, vm->verdict);
        fprintf(out, ",\"ok\":%s,\"blackout_us\":", vm->ok ? "true" : "false");
        if (!strcmp(vm->verdict, "moved"))
            fprintf(out, "%" PRIu64, (uint64_t)(vm->t_proceed - vm->t_suspend));
        else
            fprintf(out, "null");
        fprintf(out, ",\"learner_changes\":%u,\"types\":{", vm->mutations);
        int ft = 1;
        for (unsigned t = 1; t < DEMO_TYPES; t++) {
            if (!vm->moved[t] && !vm->installed[t])
                continue;
            fprintf(out, "%s\"%s\":{\"moved\":%u,\"installed\":%u}", ft ? "" : ",",
                    sami_di_type_name(t), vm->moved[t], vm->installed[t]);
            ft = 0;
        }
        fprintf(out, "},\"lost\":%u,\"duplicated\":%u,\"left_behind\":%u,\"extra\":%u,"
                     "\"altered\":%u}",
                vm->lost, vm->dup, vm->left, vm->extra, vm->changed);
    }
    const struct demo_stats *t = &w->st;
    fprintf(out,
            "],\"summary\":{\"migrations\":%zu,\"moved\":%zu,\"rolled_back\":%zu,\"failed\":%zu,"
            "\"records\":%" PRIu64 ",\"installed\":%" PRIu64 ",\"lost\":%" PRIu64
            ",\"duplicated\":%" PRIu64 ",\"left_behind\":%" PRIu64 ",\"extra\":%" PRIu64
            ",\"altered\":%" PRIu64 ",\"stayed\":%zu,\"stayed_intact\":%zu,"
            "\"timer_skew_max_ms\":%u,\"blackout_p50_us\":%" PRIu64 ",\"blackout_p99_us\":%" PRIu64
            ",\"blackout_max_us\":%" PRIu64 ",\"frames\":%" PRIu64 ",\"ecp_frames\":%" PRIu64
            ",\"transfer_frames\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"link_lost\":%" PRIu64
            ",\"link_duplicated\":%" PRIu64 ",\"link_reordered\":%" PRIu64
            ",\"ecp_retries\":%" PRIu64 ",\"notification_retransmits\":%" PRIu64
            ",\"transfer_retransmits\":%" PRIu64 ",\"simulated_us\":%" PRIu64
            ",\"errors\":%d,\"ok\":%s}}",
            s->migrations, s->moved, s->rolled_back, s->failed, s->records, s->installed, s->lost,
            s->dup, s->left, s->extra, s->changed, s->stayed, s->stayed_ok, s->skew_ms,
            pct(s->blackout, s->nb, 50), pct(s->blackout, s->nb, 99),
            s->nb ? s->blackout[s->nb - 1] : 0, t->frames, t->ecp_frames, t->xfer_frames,
            t->bytes, t->lost, t->dup, t->reordered, t->ecp_retries, t->notif_rtx,
            t->xfer_retransmits, (uint64_t)end, w->errors, ok ? "true" : "false");
}

/* ---- the run ---------------------------------------------------------------------------- */

int demo_run(const struct demo_opts *o, const struct demo_scenario *sc, FILE *pcap,
             sami_usec_t *pcap_clock, FILE *out, int *first_json)
{
    struct demo_world W;
    struct demo_world *w = &W;
    memset(w, 0, sizeof *w);
    br_cap = hv_cap = 0;
    w->o = o;
    w->sc = sc;
    w->pcap = pcap;
    /* scenarios follow each other in one capture: time never goes back */
    w->pcap_epoch = PCAP_EPOCH_US + *pcap_clock;
    w->key_seed = o->seed ^ str_hash(sc->name) ^ UINT64_C(0x6b6579);
    w->sim = sami_sim_new(o->seed ^ str_hash(sc->name));
    if (!w->sim)
        exit(2);
    CUR = w;
    sc->build(w);
    w->pod = 0;
    cross_pods(w);
    int rc = make_nodes(w);
    if (rc)
        return 2;
    sami_sim_set_tap(w->sim, tap, w);
    for (size_t i = 0; i < w->nvm; i++) {
        sc->gen(w, &w->vm[i]);
        if (w->vm[i].dest_hv < 0)
            recs_take(home(w, &w->vm[i])->node, &w->vm[i].id, 0, &w->vm[i].snap);
    }
    schedule(w);
    index_movers(w);

    /* run until every migration has finished at both hypervisors and both
     * bridges, then a little longer so the last PURGE exchanges land */
    sami_usec_t t = NIGHT_US;
    while (t < RUN_LIMIT_US) {
        t += SAMI_MSEC(250);
        if (sami_sim_run_until(w->sim, t) != 0)
            break;
        if (all_done(w))
            break;
    }
    t += SAMI_SEC(1);
    (void)sami_sim_run_until(w->sim, t);
    sami_usec_t end = sami_sim_now(w->sim);
    *pcap_clock += end + SAMI_SEC(1);

    verify(w, end);
    gather_stats(w);
    struct summary s;
    summarize(w, &s);
    int ok = !w->errors && !s.failed && !s.lost && !s.dup && !s.left && !s.extra && !s.changed &&
             s.stayed_ok == s.stayed;
    if (o->json) {
        fprintf(out, "%s", *first_json ? "" : ",\n");
        print_json(w, &s, out, end, ok);
        *first_json = 0;
    } else {
        print_text(w, &s, out, end);
    }
    free(s.blackout);

    sami_sim_free(w->sim);
    for (size_t i = 0; i < w->nbr; i++)
        sami_node_destroy(w->br[i].node);
    for (size_t i = 0; i < w->nhv; i++)
        sami_node_destroy(w->hv[i].node);
    for (size_t i = 0; i < w->nvm; i++)
        recs_free(&w->vm[i].snap);
    free(w->br);
    free(w->hv);
    free(w->vm);
    free(w->by_mig);
    CUR = NULL;
    return ok ? 0 : 1;
}
