/* --timeline: per-migration reconstruction from notifications, feedback
 * and transfer messages (docs/SNIFF.md, "Timeline").
 *
 * Every decoded sami message naming a migration id becomes an event of that
 * migration. Repeats (ECP or mig_hv retransmissions, duplicated frames, the
 * batches of a pre-copy) fold into one event with a count, keyed by what
 * the event says: (notification, side, time point), (feedback, side, time
 * point, verdict), (transfer, type, RESPONSE flag). The report gives each
 * migration's identity, its phases (pre-copy, blackout, activation) and the
 * events in time order.
 *
 * Unlike the per-frame path this allocates (migrations and their events
 * grow with the capture); it only runs with --timeline. */
#include <stdlib.h>
#include <string.h>

#include "sami/di.h"
#include "sniff.h"
#include "timeline.h"

bool timeline_on;

enum { EV_NOTIF = 1, EV_FB = 2, EV_XFER = 3 };
enum { SIDE_UNKNOWN = 0, SIDE_SOURCE = 1, SIDE_DEST = 2 };

struct tl_event {
    uint64_t first_us, last_us;
    uint64_t frame;          /* of the first occurrence */
    uint32_t count;
    uint8_t kind;
    uint8_t side;
    uint8_t what;            /* time point (N, F) or transfer type (X) */
    uint8_t verdict;         /* F */
    uint8_t carriage;        /* N: VSI TLV type it rode on, 0 = standalone */
    uint8_t hints;           /* N: SAMI_VDP_STATUS_M / _S */
    uint16_t xflags;         /* X: RESPONSE is part of the key; LAST is OR-ed in */
    uint8_t has_status;      /* X */
    uint8_t status;          /* X: STATUS element of the first one */
    uint16_t reason;         /* X status reason, N abort reason */
    uint8_t has_reason;      /* N: ABORTED with a reason element */
    uint32_t next_deadline_ms; /* N */
    uint32_t transfer_time_us; /* F */
    uint8_t n_results, results_ok; /* F */
    uint8_t sender[6];       /* X: the sending bridge's transfer MAC */
};

struct tl_mig {
    uint64_t id;
    uint64_t first_us, last_us;
    bool have_notif;         /* identity below is from a notification */
    struct sami_vm_id vm;
    struct sami_bridge_ref orig, dest;
    uint32_t di_types;
    uint8_t n_macs;
    struct sami_samitlv_mac_vlan mac0; /* the first MAC/VLAN, for the header */
    bool hv_set[3];
    uint8_t hv_mac[3][6];    /* hypervisor MACs by side */
    struct tl_event *ev;
    size_t nev, cap;
};

static struct tl_mig *migs;
static size_t n_migs, cap_migs;
/* Open addressing: slot -> index + 1 into migs (0 = empty). */
static size_t *slots;
static size_t n_slots;

static size_t hash64(uint64_t v)
{
    v ^= v >> 33;
    v *= UINT64_C(0xff51afd7ed558ccd);
    v ^= v >> 33;
    return (size_t)v;
}

static void oom(void)
{
    /* A timeline that silently lost migrations would lie; give up loudly. */
    fputs("sami-sniff: out of memory building the timeline\n", stderr);
    exit(1);
}

static struct tl_mig *mig_get(uint64_t id, uint64_t ts)
{
    if (n_slots == 0 || (n_migs + 1) * 2 > n_slots) {
        size_t ns = n_slots ? n_slots * 2 : 256;
        size_t *s = calloc(ns, sizeof *s);
        if (!s)
            oom();
        for (size_t i = 0; i < n_migs; i++) {
            size_t h = hash64(migs[i].id) & (ns - 1);
            while (s[h])
                h = (h + 1) & (ns - 1);
            s[h] = i + 1;
        }
        free(slots);
        slots = s;
        n_slots = ns;
    }
    size_t h = hash64(id) & (n_slots - 1);
    while (slots[h]) {
        struct tl_mig *m = &migs[slots[h] - 1];
        if (m->id == id) {
            if (ts < m->first_us)
                m->first_us = ts;
            if (ts > m->last_us)
                m->last_us = ts;
            return m;
        }
        h = (h + 1) & (n_slots - 1);
    }
    if (n_migs == cap_migs) {
        size_t nc = cap_migs ? cap_migs * 2 : 64;
        struct tl_mig *nm = realloc(migs, nc * sizeof *nm);
        if (!nm)
            oom();
        migs = nm;
        cap_migs = nc;
    }
    struct tl_mig *m = &migs[n_migs];
    memset(m, 0, sizeof *m);
    m->id = id;
    m->first_us = m->last_us = ts;
    slots[h] = ++n_migs;
    return m;
}

/* The event with this key, created on first sight. */
static struct tl_event *ev_get(struct tl_mig *m, const struct sniff_frame *f, uint8_t kind,
                               uint8_t side, uint8_t what, uint8_t verdict, uint16_t xresp)
{
    for (size_t i = 0; i < m->nev; i++) {
        struct tl_event *e = &m->ev[i];
        if (e->kind == kind && e->side == side && e->what == what && e->verdict == verdict &&
            (kind != EV_XFER || (e->xflags & SAMI_XFER_F_RESPONSE) == xresp)) {
            e->count++;
            if (f->ts_usec > e->last_us)
                e->last_us = f->ts_usec;
            return e;
        }
    }
    if (m->nev == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 16;
        struct tl_event *ne = realloc(m->ev, nc * sizeof *ne);
        if (!ne)
            oom();
        m->ev = ne;
        m->cap = nc;
    }
    struct tl_event *e = &m->ev[m->nev++];
    memset(e, 0, sizeof *e);
    e->first_us = e->last_us = f->ts_usec;
    e->frame = f->no;
    e->count = 1;
    e->kind = kind;
    e->side = side;
    e->what = what;
    e->verdict = verdict;
    e->xflags = xresp;
    return e;
}

void timeline_notif(const struct sniff_frame *f, const struct sami_notif *n)
{
    if (!timeline_on)
        return;
    struct tl_mig *m = mig_get(n->migration_id, f->ts_usec);
    uint8_t side = n->flags & SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE ? SIDE_SOURCE : SIDE_DEST;
    if (!m->have_notif) {
        m->have_notif = true;
        m->vm = n->vm;
        m->orig = n->orig_bridge;
        m->dest = n->dest_bridge;
        m->di_types = n->di_types;
        m->n_macs = n->n_macs;
        if (n->n_macs)
            m->mac0 = n->macs[0];
    }
    if (!m->hv_set[side] && f->src_mac) {
        m->hv_set[side] = true;
        memcpy(m->hv_mac[side], f->src_mac, 6);
    }
    struct tl_event *e = ev_get(m, f, EV_NOTIF, side, n->time_point, 0, 0);
    if (e->count == 1) {
        /* A retransmission goes standalone; the first copy shows how the
         * time point was carried. */
        e->carriage = f->vsi_type;
        e->hints = f->vsi_hints;
        e->next_deadline_ms = n->next_deadline_ms;
        e->has_reason = n->has_reason;
        e->reason = n->reason;
    }
}

/* Which hypervisor a feedback answers: the bridge element names the
 * notification's original or destination bridge (with the hypervisor's
 * port). Chassis ids alone decide unless both bridges are one (a move
 * between two ports of a bridge). */
static uint8_t fb_side(const struct tl_mig *m, const struct sami_feedback *fb)
{
    if (!fb->has_bridge || !m->have_notif)
        return SIDE_UNKNOWN;
    if (sami_bridge_ref_equal(&fb->bridge, &m->orig) &&
        !sami_bridge_ref_equal(&fb->bridge, &m->dest))
        return SIDE_SOURCE;
    if (sami_bridge_ref_equal(&fb->bridge, &m->dest) &&
        !sami_bridge_ref_equal(&fb->bridge, &m->orig))
        return SIDE_DEST;
    const struct sami_bridge_ref *b = &fb->bridge;
    bool co = b->chassis_id_subtype == m->orig.chassis_id_subtype &&
              b->chassis_id_len == m->orig.chassis_id_len &&
              !memcmp(b->chassis_id, m->orig.chassis_id, b->chassis_id_len);
    bool cd = b->chassis_id_subtype == m->dest.chassis_id_subtype &&
              b->chassis_id_len == m->dest.chassis_id_len &&
              !memcmp(b->chassis_id, m->dest.chassis_id, b->chassis_id_len);
    if (co != cd)
        return co ? SIDE_SOURCE : SIDE_DEST;
    return SIDE_UNKNOWN;
}

void timeline_feedback(const struct sniff_frame *f, const struct sami_feedback *fb)
{
    if (!timeline_on)
        return;
    struct tl_mig *m = mig_get(fb->migration_id, f->ts_usec);
    struct tl_event *e =
        ev_get(m, f, EV_FB, fb_side(m, fb), fb->time_point, fb->verdict, 0);
    if (e->count == 1) {
        e->transfer_time_us = fb->transfer_time_us;
        e->n_results = fb->n_results;
        for (unsigned i = 0; i < fb->n_results && i < SAMI_SAMITLV_MAX_RESULTS; i++)
            if (fb->results[i].status == SAMI_DI_STATUS_OK)
                e->results_ok++;
    }
}

void timeline_xfer(const struct sniff_frame *f, const struct sami_xfer_hdr *h, bool has_status,
                   uint8_t status, uint16_t reason)
{
    if (!timeline_on)
        return;
    /* HELLO is per peer (migration id 0) and ACKs only pace batches. */
    switch (h->type) {
    case SAMI_XFER_PRECOPY: case SAMI_XFER_DELTA: case SAMI_XFER_COMMIT:
    case SAMI_XFER_RESULT: case SAMI_XFER_ACTIVATE: case SAMI_XFER_PURGE:
    case SAMI_XFER_ABORT:
        break;
    default:
        return;
    }
    struct tl_mig *m = mig_get(h->migration_id, f->ts_usec);
    struct tl_event *e = ev_get(m, f, EV_XFER, SIDE_UNKNOWN, h->type, 0,
                                h->flags & SAMI_XFER_F_RESPONSE);
    e->xflags |= h->flags & SAMI_XFER_F_LAST;
    if (e->count == 1)
        memcpy(e->sender, h->sender.mac, 6);
    if (has_status && !e->has_status) {
        e->has_status = 1;
        e->status = status;
        e->reason = reason;
    }
}

/* ---- analysis ---- */

/* First event of a kind/side/time point (and verdict, when >= 0). */
static const struct tl_event *find(const struct tl_mig *m, uint8_t kind, int side, uint8_t what,
                                   int verdict)
{
    const struct tl_event *best = NULL;
    for (size_t i = 0; i < m->nev; i++) {
        const struct tl_event *e = &m->ev[i];
        if (e->kind != kind || e->what != what || (side >= 0 && e->side != side) ||
            (verdict >= 0 && e->verdict != verdict))
            continue;
        if (!best || e->first_us < best->first_us)
            best = e;
    }
    return best;
}

static const struct tl_event *find_any(const struct tl_mig *m, uint8_t kind, uint8_t what)
{
    return find(m, kind, -1, what, -1);
}

static const char *status_of(const struct tl_mig *m)
{
    if (find_any(m, EV_NOTIF, SAMI_TP_ABORTED))
        return "aborted";
    for (size_t i = 0; i < m->nev; i++)
        if (m->ev[i].kind == EV_FB && m->ev[i].verdict == SAMI_VERDICT_ROLLBACK)
            return "rolled back";
    if (find_any(m, EV_NOTIF, SAMI_TP_COMPLETED))
        return "completed";
    if (find(m, EV_FB, SIDE_SOURCE, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED))
        return "moved";
    return "in progress";
}

struct phase {
    const char *name;
    const char *what;
    const struct tl_event *a, *b;
};

/* pre-copy: first PREPARE -> SUSPENDED from HV-S; blackout: SUSPENDED from
 * HV-S -> PROCEED (SUSPENDED) to HV-S (docs/DESIGN's blackout, as the wire
 * shows it); activation: RESUMED from HV-D -> PROCEED (RESUMED) to HV-D. */
static size_t phases(const struct tl_mig *m, struct phase *p)
{
    size_t n = 0;
    const struct tl_event *prep = find(m, EV_NOTIF, -1, SAMI_TP_PREPARE, -1);
    const struct tl_event *susp = find(m, EV_NOTIF, SIDE_SOURCE, SAMI_TP_SUSPENDED, -1);
    const struct tl_event *proc =
        find(m, EV_FB, SIDE_SOURCE, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED);
    const struct tl_event *roll =
        find(m, EV_FB, SIDE_SOURCE, SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    const struct tl_event *resu = find(m, EV_NOTIF, SIDE_DEST, SAMI_TP_RESUMED, -1);
    const struct tl_event *act =
        find(m, EV_FB, SIDE_DEST, SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    if (prep && susp)
        p[n++] = (struct phase){"pre-copy", "PREPARE -> SUSPENDED (HV-S)", prep, susp};
    if (susp && proc)
        p[n++] = (struct phase){"blackout", "SUSPENDED (HV-S) -> PROCEED to HV-S", susp, proc};
    else if (susp && roll)
        p[n++] = (struct phase){"rollback", "SUSPENDED (HV-S) -> ROLLBACK to HV-S", susp, roll};
    if (resu && act)
        p[n++] = (struct phase){"activation", "RESUMED (HV-D) -> PROCEED to HV-D", resu, act};
    return n;
}

static int ev_cmp(const void *a, const void *b)
{
    const struct tl_event *x = a, *y = b;
    if (x->first_us != y->first_us)
        return x->first_us < y->first_us ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* ---- output ---- */

static const char *side_hv(uint8_t s)
{
    return s == SIDE_SOURCE ? "HV-S" : s == SIDE_DEST ? "HV-D" : "HV-?";
}

static const char *side_br(uint8_t s)
{
    return s == SIDE_SOURCE ? "BR-O" : s == SIDE_DEST ? "BR-D" : "BR-?";
}

/* Which bridge sent a transfer message: its transfer MAC is the chassis id
 * of one of the notification's bridges when the bridges use MAC chassis ids
 * (as the demo does); otherwise the message type says (docs/FLOWS.md:
 * BR-O sends PRECOPY, DELTA, COMMIT and PURGE, BR-D RESULT and ACTIVATE). */
static uint8_t xfer_side(const struct tl_mig *m, const struct tl_event *e)
{
    if (m->have_notif) {
        bool o = m->orig.chassis_id_subtype == 4 && m->orig.chassis_id_len == 6 &&
                 !memcmp(m->orig.chassis_id, e->sender, 6);
        bool d = m->dest.chassis_id_subtype == 4 && m->dest.chassis_id_len == 6 &&
                 !memcmp(m->dest.chassis_id, e->sender, 6);
        if (o != d)
            return o ? SIDE_SOURCE : SIDE_DEST;
    }
    switch (e->what) {
    case SAMI_XFER_PRECOPY: case SAMI_XFER_DELTA: case SAMI_XFER_COMMIT: case SAMI_XFER_PURGE:
        return SIDE_SOURCE;
    case SAMI_XFER_RESULT: case SAMI_XFER_ACTIVATE:
        return SIDE_DEST;
    default:
        return SIDE_UNKNOWN;
    }
}

static const char *side_json(uint8_t s)
{
    return s == SIDE_SOURCE ? "source" : s == SIDE_DEST ? "destination" : "unknown";
}

static const char *carriage_name(uint8_t t)
{
    switch (t) {
    case 1: return "PREASSOC";
    case 2: return "PREASSOC-RR";
    case 3: return "ASSOC";
    case 4: return "DEASSOC";
    default: return "standalone";
    }
}

static void put_hms(struct sbuf *b, uint64_t us)
{
    sb_hms_usec(b, (int64_t)(us / 1000000u), (uint32_t)(us % 1000000u));
}

/* Seconds with microseconds: "+1.234567". */
static void put_offset(struct sbuf *b, uint64_t us)
{
    sb_putc(b, '+');
    sb_u64(b, us / 1000000u);
    sb_putc(b, '.');
    sb_dec0(b, us % 1000000u, 6);
}

/* Milliseconds with microseconds: "0.235 ms". */
static void put_ms(struct sbuf *b, uint64_t us)
{
    sb_u64(b, us / 1000u);
    sb_putc(b, '.');
    sb_dec0(b, us % 1000u, 3);
    sb_puts(b, " ms");
}

static void put_bridge(struct sbuf *b, const struct sami_bridge_ref *r, bool esc)
{
    fmt_lldp_id(b, false, r->chassis_id_subtype, r->chassis_id, r->chassis_id_len, esc);
    sb_puts(b, esc ? " port " : "/");
    fmt_lldp_id(b, true, r->port_id_subtype, r->port_id, r->port_id_len, esc);
}

static void event_text(struct sbuf *b, const struct tl_mig *m, const struct tl_event *e)
{
    switch (e->kind) {
    case EV_NOTIF:
        sb_puts(b, side_hv(e->side));
        sb_puts(b, "  NOTIFY ");
        sb_puts(b, sami_tp_name(e->what));
        sb_puts(b, e->carriage ? " on " : " ");
        sb_puts(b, carriage_name(e->carriage));
        if (e->hints & 0x10u)
            sb_puts(b, " M");
        if (e->hints & 0x20u)
            sb_puts(b, " S");
        if (e->next_deadline_ms) {
            sb_puts(b, ", next deadline ");
            sb_u64(b, e->next_deadline_ms);
            sb_puts(b, " ms");
        }
        if (e->has_reason) {
            sb_puts(b, ", reason ");
            sb_puts(b, sami_abort_reason_name(e->reason));
        }
        break;
    case EV_FB:
        sb_puts(b, side_br(e->side));
        sb_puts(b, "  FEEDBACK ");
        sb_puts(b, sami_verdict_name(e->verdict));
        sb_puts(b, " (");
        sb_puts(b, sami_tp_name(e->what));
        sb_puts(b, ") to ");
        sb_puts(b, side_hv(e->side));
        if (e->transfer_time_us) {
            sb_puts(b, ", transfer ");
            sb_u64(b, e->transfer_time_us);
            sb_puts(b, " us");
        }
        if (e->n_results) {
            sb_puts(b, ", ");
            sb_u64(b, e->results_ok);
            sb_putc(b, '/');
            sb_u64(b, e->n_results);
            sb_puts(b, " DI types ok");
        }
        break;
    default: {
        uint8_t xs = xfer_side(m, e);
        sb_puts(b, side_br(xs));
        sb_puts(b, "  XFER ");
        sb_puts(b, sami_xfer_type_name(e->what));
        if (e->xflags & SAMI_XFER_F_RESPONSE)
            sb_puts(b, " rsp");
        if (e->xflags & SAMI_XFER_F_LAST)
            sb_puts(b, " LAST");
        if (e->has_status) {
            sb_putc(b, ' ');
            sb_puts(b, sami_di_status_name(e->status));
            if (e->reason) {
                sb_puts(b, " reason ");
                sb_puts(b, sami_fb_reason_name(e->reason));
            }
        }
        if (xs != SIDE_UNKNOWN) {
            sb_puts(b, " to ");
            sb_puts(b, side_br(xs == SIDE_SOURCE ? SIDE_DEST : SIDE_SOURCE));
        }
        break;
    }
    }
    if (e->count > 1) {
        sb_puts(b, " (x");
        sb_u64(b, e->count);
        sb_putc(b, ')');
    }
}

static void print_text(struct sbuf *b, struct tl_mig *m)
{
    struct phase ph[3];
    size_t np = phases(m, ph);
    sb_puts(b, "migration ");
    sb_0x(b, m->id, 16);
    sb_puts(b, ": ");
    sb_puts(b, status_of(m));
    for (size_t i = 0; i < np; i++)
        if (!strcmp(ph[i].name, "blackout")) {
            sb_puts(b, ", blackout ");
            put_ms(b, ph[i].b->first_us - ph[i].a->first_us);
        }
    sb_putc(b, '\n');
    if (m->have_notif) {
        sb_puts(b, "  vm        ");
        sb_puts(b, vsiid_format_tag(m->vm.id_format));
        sb_putc(b, ' ');
        fmt_vsi_id(b, m->vm.id_format, m->vm.id);
        sb_puts(b, " type ");
        sb_u64(b, m->vm.type_id);
        sb_puts(b, " v");
        sb_u64(b, m->vm.type_version);
        if (m->n_macs) {
            sb_puts(b, ", mac ");
            sb_mac(b, m->mac0.mac);
            sb_putc(b, ' ');
            sum_vlan_word(b, m->mac0.word);
            if (m->n_macs > 1) {
                sb_puts(b, " (+");
                sb_u64(b, m->n_macs - 1u);
                sb_putc(b, ')');
            }
        }
        sb_puts(b, "\n  from      ");
        put_bridge(b, &m->orig, true);
        if (m->hv_set[SIDE_SOURCE]) {
            sb_puts(b, " (HV-S ");
            sb_mac(b, m->hv_mac[SIDE_SOURCE]);
            sb_putc(b, ')');
        }
        sb_puts(b, "\n  to        ");
        put_bridge(b, &m->dest, true);
        if (m->hv_set[SIDE_DEST]) {
            sb_puts(b, " (HV-D ");
            sb_mac(b, m->hv_mac[SIDE_DEST]);
            sb_putc(b, ')');
        }
        sb_puts(b, "\n  di types  ");
        fmt_di_types(b, m->di_types);
        sb_putc(b, '\n');
    } else {
        sb_puts(b, "  (no notification in the capture: identity unknown)\n");
    }
    for (size_t i = 0; i < np; i++) {
        sb_puts(b, "  phase     ");
        sb_puts(b, ph[i].name);
        for (size_t k = strlen(ph[i].name); k < 11; k++)
            sb_putc(b, ' ');
        put_hms(b, ph[i].a->first_us);
        sb_puts(b, " -> ");
        put_hms(b, ph[i].b->first_us);
        /* durations right-aligned so the column reads */
        char d[32];
        struct sbuf t;
        sb_init(&t, d, sizeof d, NULL);
        put_ms(&t, ph[i].b->first_us - ph[i].a->first_us);
        for (size_t k = t.len; k < 14; k++)
            sb_putc(b, ' ');
        sb_putn(b, t.p, t.len);
        sb_puts(b, "  ");
        sb_puts(b, ph[i].what);
        sb_putc(b, '\n');
    }
    qsort(m->ev, m->nev, sizeof *m->ev, ev_cmp);
    for (size_t i = 0; i < m->nev; i++) {
        const struct tl_event *e = &m->ev[i];
        sb_puts(b, "  ");
        put_hms(b, e->first_us);
        sb_putc(b, ' ');
        put_offset(b, e->first_us - m->first_us);
        sb_puts(b, "  ");
        event_text(b, m, e);
        sb_putc(b, '\n');
    }
}

static void json_key(struct sbuf *b, const char *k)
{
    sb_puts(b, ",\"");
    sb_puts(b, k);
    sb_puts(b, "\":");
}

static void json_s(struct sbuf *b, const char *k, const char *v)
{
    json_key(b, k);
    sb_putc(b, '"');
    sb_json_esc(b, v, strlen(v));
    sb_putc(b, '"');
}

static void json_bridge(struct sbuf *b, const char *k, const struct sami_bridge_ref *r)
{
    json_key(b, k);
    sb_puts(b, "{\"chassis_id_subtype\":");
    sb_u64(b, r->chassis_id_subtype);
    sb_puts(b, ",\"chassis_id\":\"");
    char tmp[1100];
    struct sbuf t;
    sb_init(&t, tmp, sizeof tmp, NULL);
    fmt_lldp_id(&t, false, r->chassis_id_subtype, r->chassis_id, r->chassis_id_len, false);
    sb_json_esc(b, t.p, t.len);
    sb_puts(b, "\",\"port_id_subtype\":");
    sb_u64(b, r->port_id_subtype);
    sb_puts(b, ",\"port_id\":\"");
    sb_reset(&t);
    fmt_lldp_id(&t, true, r->port_id_subtype, r->port_id, r->port_id_len, false);
    sb_json_esc(b, t.p, t.len);
    sb_puts(b, "\"}");
}

static void json_time(struct sbuf *b, const char *k, uint64_t us)
{
    json_key(b, k);
    sb_putc(b, '"');
    sb_iso_usec(b, (int64_t)(us / 1000000u), (uint32_t)(us % 1000000u));
    sb_putc(b, '"');
}

static void json_u(struct sbuf *b, const char *k, uint64_t v)
{
    json_key(b, k);
    sb_u64(b, v);
}

static void print_json(struct sbuf *b, struct tl_mig *m)
{
    struct phase ph[3];
    size_t np = phases(m, ph);
    sb_puts(b, "{\"migration_id\":\"");
    sb_0x(b, m->id, 16);
    sb_putc(b, '"');
    json_s(b, "status", status_of(m));
    json_u(b, "first_usec", m->first_us);
    json_u(b, "last_usec", m->last_us);
    json_time(b, "first_time", m->first_us);
    json_key(b, "blackout_usec");
    const struct phase *bo = NULL;
    for (size_t i = 0; i < np; i++)
        if (!strcmp(ph[i].name, "blackout"))
            bo = &ph[i];
    if (bo)
        sb_u64(b, bo->b->first_us - bo->a->first_us);
    else
        sb_puts(b, "null");
    if (m->have_notif) {
        json_key(b, "vm");
        sb_puts(b, "{\"type_id\":");
        sb_u64(b, m->vm.type_id);
        sb_puts(b, ",\"type_version\":");
        sb_u64(b, m->vm.type_version);
        sb_puts(b, ",\"vsi_id_format\":");
        sb_u64(b, m->vm.id_format);
        sb_puts(b, ",\"vsi_id\":\"");
        fmt_vsi_id(b, m->vm.id_format, m->vm.id);
        sb_puts(b, "\"}");
        json_bridge(b, "orig_bridge", &m->orig);
        json_bridge(b, "dest_bridge", &m->dest);
        json_key(b, "di_types");
        sb_u64(b, m->di_types);
        json_key(b, "di_types_name");
        sb_putc(b, '"');
        fmt_di_types(b, m->di_types);
        sb_putc(b, '"');
    }
    for (int s = SIDE_SOURCE; s <= SIDE_DEST; s++) {
        json_key(b, s == SIDE_SOURCE ? "hv_source_mac" : "hv_dest_mac");
        if (m->hv_set[s]) {
            sb_putc(b, '"');
            sb_mac(b, m->hv_mac[s]);
            sb_putc(b, '"');
        } else {
            sb_puts(b, "null");
        }
    }
    json_key(b, "phases");
    sb_putc(b, '[');
    for (size_t i = 0; i < np; i++) {
        sb_puts(b, i ? ",{\"name\":\"" : "{\"name\":\"");
        sb_puts(b, ph[i].name);
        sb_putc(b, '"');
        json_s(b, "what", ph[i].what);
        json_u(b, "start_usec", ph[i].a->first_us);
        json_u(b, "end_usec", ph[i].b->first_us);
        json_u(b, "duration_usec", ph[i].b->first_us - ph[i].a->first_us);
        sb_putc(b, '}');
    }
    sb_putc(b, ']');
    qsort(m->ev, m->nev, sizeof *m->ev, ev_cmp);
    json_key(b, "events");
    sb_putc(b, '[');
    for (size_t i = 0; i < m->nev; i++) {
        const struct tl_event *e = &m->ev[i];
        sb_puts(b, i ? ",{\"ts_usec\":" : "{\"ts_usec\":");
        sb_u64(b, e->first_us);
        json_time(b, "time", e->first_us);
        json_u(b, "offset_usec", e->first_us - m->first_us);
        json_u(b, "last_usec", e->last_us);
        json_u(b, "frame", e->frame);
        json_u(b, "count", e->count);
        switch (e->kind) {
        case EV_NOTIF:
            json_s(b, "kind", "notification");
            json_s(b, "side", side_json(e->side));
            json_s(b, "time_point", sami_tp_name(e->what));
            json_s(b, "carriage", carriage_name(e->carriage));
            json_key(b, "m");
            sb_puts(b, e->hints & 0x10u ? "true" : "false");
            json_key(b, "s");
            sb_puts(b, e->hints & 0x20u ? "true" : "false");
            json_u(b, "next_deadline_ms", e->next_deadline_ms);
            if (e->has_reason)
                json_s(b, "abort_reason", sami_abort_reason_name(e->reason));
            break;
        case EV_FB:
            json_s(b, "kind", "feedback");
            json_s(b, "side", side_json(e->side));
            json_s(b, "time_point", sami_tp_name(e->what));
            json_s(b, "verdict", sami_verdict_name(e->verdict));
            json_u(b, "transfer_time_us", e->transfer_time_us);
            json_u(b, "results", e->n_results);
            json_u(b, "results_ok", e->results_ok);
            break;
        default:
            json_s(b, "kind", "transfer");
            json_s(b, "type", sami_xfer_type_name(e->what));
            json_s(b, "side", side_json(xfer_side(m, e)));
            json_key(b, "sender_mac");
            sb_putc(b, '"');
            sb_mac(b, e->sender);
            sb_putc(b, '"');
            json_key(b, "response");
            sb_puts(b, e->xflags & SAMI_XFER_F_RESPONSE ? "true" : "false");
            json_key(b, "last");
            sb_puts(b, e->xflags & SAMI_XFER_F_LAST ? "true" : "false");
            if (e->has_status) {
                json_s(b, "status", sami_di_status_name(e->status));
                json_s(b, "reason", sami_fb_reason_name(e->reason));
            }
            break;
        }
        sb_putc(b, '}');
    }
    sb_puts(b, "]}\n");
}

void timeline_print(struct sbuf *out, bool json)
{
    if (!json) {
        sb_puts(out, "timeline: ");
        sb_u64(out, n_migs);
        sb_puts(out, n_migs == 1 ? " migration\n" : " migrations\n");
    }
    for (size_t i = 0; i < n_migs; i++) {
        if (json) {
            print_json(out, &migs[i]);
        } else {
            sb_putc(out, '\n');
            print_text(out, &migs[i]);
        }
    }
}

void timeline_free(void)
{
    for (size_t i = 0; i < n_migs; i++)
        free(migs[i].ev);
    free(migs);
    free(slots);
    migs = NULL;
    slots = NULL;
    n_migs = cap_migs = n_slots = 0;
}
