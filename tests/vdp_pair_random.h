/* A VDP station and a VDP bridge wired back to back through a lossy,
 * reordering in-memory wire, driven by random operations (requests of all
 * four types, deliveries, drops, runs at random and at deadline times,
 * bridge-side de-associations, small tables that fill up). After every
 * operation both engines' next deadline must equal a brute-force scan of
 * their tables, and their deadline index must be consistent
 * (sami_dlheap_check). Included by test_vdp_station.c and test_vdp_bridge.c;
 * needs cmocka and sami/vdp_bridge.h included first. */
#ifndef VDP_PAIR_RANDOM_H
#define VDP_PAIR_RANDOM_H

#define PR_Q 96   /* frames in flight per direction */
#define PR_IDS 12 /* VSI identities the station uses */

struct pr_frame {
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    size_t len;
};

struct pr_wire {
    struct pr_frame q[PR_Q];
    size_t n;
};

struct pr {
    struct sami_vdp_station st;
    struct sami_vdp_station_vsi svsis[8];
    struct sami_ecp_slot sslots[16];
    struct sami_vdp_bridge br;
    struct sami_vdp_bridge_vsi bvsis[6];
    struct sami_ecp_slot bslots[16];
    struct pr_wire s2b, b2s;
    uint64_t rng;
    sami_usec_t now;
};

static uint64_t pr_rand(struct pr *p)
{
    uint64_t z = (p->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void pr_push(struct pr_wire *w, const uint8_t *frame, size_t len)
{
    if (w->n == PR_Q || len > SAMI_ECP_ENGINE_MAX_FRAME)
        return; /* a full wire drops */
    memcpy(w->q[w->n].f, frame, len);
    w->q[w->n].len = len;
    w->n++;
}

static void pr_stx(void *ctx, const uint8_t *frame, size_t len)
{
    pr_push(&((struct pr *)ctx)->s2b, frame, len);
}

static void pr_btx(void *ctx, const uint8_t *frame, size_t len)
{
    pr_push(&((struct pr *)ctx)->b2s, frame, len);
}

static void pr_policy(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                      const struct sami_vdp_bridge_vsi *cur, struct sami_vdp_bridge_decision *d)
{
    struct pr *p = ctx;
    (void)now, (void)req, (void)cur;
    d->accept = pr_rand(p) % 4 != 0;
    d->keep = pr_rand(p) % 2 == 0;
}

/* Takes frame i (or a random one) off the wire; delivers it unless lost. */
static void pr_deliver(struct pr *p, struct pr_wire *w, int to_bridge)
{
    if (!w->n)
        return;
    size_t i = (size_t)(pr_rand(p) % 4 == 0 ? pr_rand(p) % w->n : 0);
    struct pr_frame fr = w->q[i];
    memmove(&w->q[i], &w->q[i + 1], (w->n - i - 1) * sizeof w->q[0]);
    w->n--;
    if (pr_rand(p) % 8 == 0)
        return; /* lost */
    if (to_bridge)
        (void)sami_vdp_bridge_input(&p->br, p->now, fr.f, fr.len);
    else
        (void)sami_vdp_station_input(&p->st, p->now, fr.f, fr.len);
}

static sami_usec_t pr_min(sami_usec_t a, sami_usec_t b)
{
    return a < b ? a : b;
}

/* The scans the engines used to do on every call. */
static sami_usec_t pr_station_scan(const struct pr *p)
{
    sami_usec_t d = sami_ecp_engine_next_deadline(&p->st.ecp);
    for (size_t i = 0; i < p->st.nvsis; i++) {
        const struct sami_vdp_station_vsi *e = &p->st.vsis[i];
        if (e->in_use)
            d = pr_min(d, pr_min(e->resp_deadline, e->ka_deadline));
    }
    return d;
}

static sami_usec_t pr_bridge_scan(const struct pr *p)
{
    sami_usec_t d = sami_ecp_engine_next_deadline(&p->br.ecp);
    for (size_t i = 0; i < p->br.nvsis; i++)
        if (p->br.vsis[i].in_use)
            d = pr_min(d, p->br.vsis[i].expires);
    return d;
}

static void pr_check(const struct pr *p)
{
    assert_int_equal(sami_dlheap_check(&p->st.dl), 0);
    assert_int_equal(sami_dlheap_check(&p->br.dl), 0);
    assert_true(sami_vdp_station_next_deadline(&p->st) == pr_station_scan(p));
    assert_true(sami_vdp_bridge_next_deadline(&p->br) == pr_bridge_scan(p));
}

static void pr_setup(struct pr *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->rng = seed;
    static const uint8_t smac[6] = {0x52, 0x54, 0, 0, 0, 0x01};
    static const uint8_t bmac[6] = {0x02, 0, 0, 0, 0, 0x0b};
    struct sami_vdp_station_config sc;
    sami_vdp_station_config_default(&sc);
    memcpy(sc.mac, smac, 6);
    memcpy(sc.mgrid, "pr-station", 10);
    /* short timers so deadlines of every kind come due within the run */
    sc.params.rte = 8;
    sc.params.rwd = 10;
    sc.params.rka = 12;
    struct sami_vdp_station_callbacks scb = {pr_stx, NULL, NULL, p};
    assert_int_equal(sami_vdp_station_init(&p->st, &sc, &scb, p->svsis, 8, p->sslots, 16), 0);
    struct sami_vdp_bridge_config bc;
    sami_vdp_bridge_config_default(&bc);
    memcpy(bc.mac, bmac, 6);
    memcpy(bc.mgrid, "pr-bridge", 9);
    bc.params = sc.params;
    struct sami_vdp_bridge_callbacks bcb = {pr_btx, pr_policy, NULL, NULL, p};
    assert_int_equal(sami_vdp_bridge_init(&p->br, &bc, &bcb, p->bvsis, 6, p->bslots, 16), 0);
}

static void pr_vsi(uint8_t idb, struct sami_vdp_vsi *v, struct sami_vdp_filter *f)
{
    memset(v, 0, sizeof *v);
    memset(f, 0, sizeof *f);
    v->type_id = 5;
    v->type_ver = 4;
    v->id_format = SAMI_VDP_VSIID_UUID;
    for (int i = 0; i < 16; i++)
        v->id[i] = (uint8_t)(i * 0x11);
    v->id[15] = idb;
    v->filter_format = SAMI_VDP_FILTER_MAC_VID;
    v->count = 1;
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, idb};
    memcpy(f->mac, mac, 6);
    f->vid = (uint16_t)(100 + idb);
    v->filters = f;
}

static void pr_run(uint64_t seed, int steps)
{
    static struct pr P; /* large: keep it off the stack */
    struct pr *p = &P;
    pr_setup(p, seed);
    pr_check(p);
    for (int k = 0; k < steps; k++) {
        switch (pr_rand(p) % 10) {
        case 0:
        case 1: {
            struct sami_vdp_vsi v;
            struct sami_vdp_filter f;
            pr_vsi((uint8_t)(pr_rand(p) % PR_IDS), &v, &f);
            uint8_t op = (uint8_t)(SAMI_VDP_TLV_PREASSOC + pr_rand(p) % 4);
            uint8_t hints = (uint8_t)(pr_rand(p) % 3 == 0 ? SAMI_VDP_STATUS_M : 0);
            (void)sami_vdp_station_request(&p->st, p->now, &v, op, hints, NULL, 0);
            break;
        }
        case 2:
        case 3:
            pr_deliver(p, &p->s2b, 1);
            break;
        case 4:
        case 5:
            pr_deliver(p, &p->b2s, 0);
            break;
        case 6: {
            struct sami_vdp_vsi v;
            struct sami_vdp_filter f;
            pr_vsi((uint8_t)(pr_rand(p) % PR_IDS), &v, &f);
            (void)sami_vdp_bridge_deassoc(&p->br, p->now, v.id_format, v.id, NULL, 0);
            break;
        }
        case 7: /* a little time passes */
            p->now += pr_rand(p) % 5000;
            sami_vdp_station_run(&p->st, p->now);
            sami_vdp_bridge_run(&p->br, p->now);
            break;
        case 8: { /* to the next deadline of either side, sometimes late */
            sami_usec_t d = pr_min(sami_vdp_station_next_deadline(&p->st),
                                   sami_vdp_bridge_next_deadline(&p->br));
            if (d != SAMI_NO_DEADLINE && d > p->now)
                p->now = d + (pr_rand(p) % 3 == 0 ? pr_rand(p) % 20000 : 0);
            sami_vdp_station_run(&p->st, p->now);
            sami_vdp_bridge_run(&p->br, p->now);
            break;
        }
        default: /* a long silence: keep-alives and expiries come due */
            if (pr_rand(p) % 8 == 0) {
                p->now += pr_rand(p) % 40000000;
                sami_vdp_station_run(&p->st, p->now);
                sami_vdp_bridge_run(&p->br, p->now);
            }
            break;
        }
        pr_check(p);
    }
    /* the run went through the paths that move deadlines */
    assert_true(p->br.stats.accepted > 0 && p->br.stats.refreshes > 0);
    assert_true(p->br.stats.expired + p->br.stats.released > 0);
    assert_true(p->st.stats.keepalives > 0 && p->st.stats.rx_responses > 0);
    assert_true(p->st.stats.timeouts + p->st.stats.ecp_errors > 0);
}

#endif
