/* Bridge node: VDP bridge per downlink + mig_bridge + xfer_engine over the
 * L2 link + memstore, bound together (node/sami/node.h). */
#include <stdlib.h>
#include <string.h>

#include "node_int.h"
#include "sami/ecp.h"
#include "sami/xfer_l2.h"

/* Room for the feedback TLVs answering one PDU's notifications (one
 * normally; a PDU may carry several VSIs). */
#define RIDE_CAP 2048u
#define ORG_TLV_MAX (SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN)
/* A standalone PDU holds the Manager ID (18), the org TLVs and End (2). */
#define STANDALONE_ORG_CAP (SAMI_ECP_ENGINE_MAX_ULPDU - 18u - 2u)

/* Feedback waiting to be (re)sent standalone. */
struct pend_fb {
    int used;
    int final;          /* PROCEED/ROLLBACK: resent when ECP gives up */
    uint32_t token;     /* ECP token while in flight, 0 when waiting to retry */
    sami_usec_t retry_at; /* SAMI_NO_DEADLINE while in flight */
    unsigned tries;
    size_t len;
    uint8_t tlv[ORG_TLV_MAX];
};

/* Feedback a port may have waiting at once (in flight or for a retry). A
 * hypervisor has a few migrations at a time; a port that floods fills its
 * own table, never another port's, and the node's work per frame stays
 * bounded (the table used to be shared and grew with rate x lifetime). */
#define PEND_PER_PORT 64u

struct bport {
    struct bnode *b;
    struct sami_node_downlink dl;
    struct sami_vdp_bridge vdp;
    struct sami_vdp_bridge_vsi *vsis;
    struct sami_ecp_slot *slots;
    /* Feedback produced while this port's PDU is processed: the policy puts
     * it on the VDP response, what is left goes standalone afterwards. */
    uint8_t ride[RIDE_CAP];
    size_t ride_len, ride_used;
    struct pend_fb *pend; /* grows to PEND_PER_PORT */
    size_t npend;
    sami_usec_t pend_due; /* earliest retry_at of a waiting entry */
};

/* A transfer event queued for mig_bridge (ops must not re-enter it). */
struct xev {
    uint64_t mig;
    int event;          /* enum sami_mig_xfer_event */
    uint16_t reason;
    uint8_t n;
    struct sami_fb_result res[SAMI_SAMITLV_MAX_RESULTS];
};

struct bpeer {
    struct sami_node_peer cfg;
    int xid;            /* transfer engine peer id */
    int lid;            /* L2 link peer id, -1 for a stream peer */
    uint8_t *txq, *rxbuf;
    struct sami_xfer_deframer df; /* stream peers: messages out of the byte stream */
};

struct bnode {
    struct sami_node base;
    struct sami_node_bridge_cfg cfg; /* pointers below replace cfg's */
    struct bport *ports;
    size_t nports;
    struct bpeer *peers;
    size_t npeers;
    struct sami_memstore *ms;
    struct sami_store store;
    struct sami_mig_bridge mig;
    struct sami_mig_bridge_rec *migtab;
    size_t nmig;
    struct sami_xfer_link link;
    struct sami_xfer_link_peer *lpeers;
    struct sami_xfer_engine *xe;
    struct xev *xq;
    size_t xq_cap, xq_head, xq_len;
    sami_usec_t pend_due; /* earliest pend_due of the ports */
    sami_usec_t now;
    sami_usec_t expire_at;
    ptrdiff_t riding;   /* port whose org TLVs are being delivered, -1 */
    int ride_ok;        /* the org TLV rode on a VSI request */
    int draining;
    uint64_t epoch;     /* restarts: keeps transfer sequences growing */
    uint8_t frame[SAMI_ECP_ENGINE_MAX_FRAME];
};

static const struct sami_mig_bridge_ops bridge_ops;

static struct bnode *B(struct sami_node *n)
{
    return n && n->kind == SAMI_NODE_BRIDGE ? (struct bnode *)n : NULL;
}

static const struct bnode *CB(const struct sami_node *n)
{
    return n && n->kind == SAMI_NODE_BRIDGE ? (const struct bnode *)n : NULL;
}

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

static sami_usec_t dmin(sami_usec_t a, sami_usec_t b)
{
    return a < b ? a : b;
}

static ptrdiff_t port_index(const struct bnode *b, int port)
{
    for (size_t i = 0; i < b->nports; i++)
        if (b->ports[i].dl.port == port)
            return (ptrdiff_t)i;
    return -1;
}

/* ------------------------------------------------------------ transmit -- */

static void port_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct bport *p = ctx;
    p->b->base.tx(p->b->base.tx_ctx, p->dl.port, frame, len);
}

/* L2 transfer frames: the link gives the PDU after the Ethernet header. */
static void link_tx(void *ctx, int peer, void *handle, const uint8_t *pdu, size_t len)
{
    struct bnode *b = ctx;
    struct bpeer *p = handle;
    (void)peer;
    if (len + NODE_ETH_HLEN > sizeof b->frame)
        return;
    memcpy(b->frame, p->cfg.id.mac, 6);
    memcpy(b->frame + 6, b->cfg.xfer_id.mac, 6);
    b->frame[12] = (uint8_t)(SAMI_XFER_L2_ETHERTYPE >> 8);
    b->frame[13] = (uint8_t)SAMI_XFER_L2_ETHERTYPE;
    memcpy(b->frame + NODE_ETH_HLEN, pdu, len);
    b->base.tx(b->base.tx_ctx, p->cfg.port, b->frame, len + NODE_ETH_HLEN);
}

/* Stream binding: the message with its length prefix, on the peer's port. */
static int stream_tx(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    struct bnode *b = ctx;
    struct bpeer *p = handle;
    (void)peer;
    b->base.tx(b->base.tx_ctx, p->cfg.port, bytes, len);
    return 0;
}

/* Replaced by the transfer engine at create; the link requires one. */
static void link_deliver_unset(void *ctx, sami_usec_t now, int peer, void *handle,
                               const uint8_t *msg, size_t len)
{
    (void)ctx, (void)now, (void)peer, (void)handle, (void)msg, (void)len;
}

/* ------------------------------------------------- feedback to the HVs -- */

/* A free entry of port P's table; NULL when it holds PEND_PER_PORT. */
static struct pend_fb *pend_new(struct bport *p)
{
    for (size_t i = 0; i < p->npend; i++)
        if (!p->pend[i].used)
            return &p->pend[i];
    if (p->npend >= PEND_PER_PORT)
        return NULL;
    size_t n = p->npend ? p->npend * 2 : 8;
    if (n > PEND_PER_PORT)
        n = PEND_PER_PORT;
    struct pend_fb *t = realloc(p->pend, n * sizeof *t);
    if (!t)
        return NULL;
    memset(t + p->npend, 0, (n - p->npend) * sizeof *t);
    p->pend = t;
    struct pend_fb *r = &t[p->npend];
    p->npend = n;
    return r;
}

/* An entry of port P waits until AT: the port's and the node's earliest. */
static void pend_wait(struct bnode *b, struct bport *p, struct pend_fb *f, sami_usec_t at)
{
    f->retry_at = at;
    p->pend_due = dmin(p->pend_due, at);
    b->pend_due = dmin(b->pend_due, at);
}

static int send_standalone(struct bnode *b, size_t pi, const uint8_t *org, size_t len,
                           uint32_t *token)
{
    int rc = sami_vdp_bridge_send_org(&b->ports[pi].vdp, b->now, org, len, token);
    if (rc == 0)
        b->base.c.fb_tx_standalone++;
    return rc;
}

/* One feedback TLV out on its own. Final answers are tracked so that a PDU
 * ECP gave up on is sent again; anything the ECP queue refused now is
 * retried a little later. */
static int feedback_standalone(struct bnode *b, size_t pi, const uint8_t *tlv, size_t len,
                               int final)
{
    uint32_t token = 0;
    int rc = send_standalone(b, pi, tlv, len, &token);
    if (rc == 0 && !final)
        return 0;
    if (rc != 0 && rc != SAMI_ERR_LIMIT) {
        b->base.c.fb_tx_fail++;
        return rc;
    }
    struct bport *port = &b->ports[pi];
    struct pend_fb *p = pend_new(port);
    if (!p) {
        /* the port has PEND_PER_PORT waiting: this one is not resent should
         * ECP give up on it, or (queue full) not sent at all; a hypervisor
         * still waiting for it asks again (mig_hv re-asks) */
        b->base.c.fb_pend_full++;
        return rc == 0 ? 0 : SAMI_ERR_LIMIT;
    }
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->final = final;
    p->len = len;
    memcpy(p->tlv, tlv, len);
    if (rc == 0) {
        p->token = token;
        p->retry_at = SAMI_NO_DEADLINE;
    } else {
        pend_wait(b, port, p, b->now + sami_ecp_engine_ack_time(&port->vdp.ecp));
    }
    return 0;
}

/* Resends what is due; nothing to do (the common case, one call per frame)
 * costs one comparison. */
static void pend_run(struct bnode *b)
{
    if (b->pend_due > b->now)
        return;
    b->pend_due = SAMI_NO_DEADLINE;
    for (size_t pi = 0; pi < b->nports; pi++) {
        struct bport *port = &b->ports[pi];
        if (port->pend_due > b->now) {
            b->pend_due = dmin(b->pend_due, port->pend_due);
            continue;
        }
        port->pend_due = SAMI_NO_DEADLINE;
        for (size_t i = 0; i < port->npend; i++) {
            struct pend_fb *p = &port->pend[i];
            if (!p->used || p->retry_at == SAMI_NO_DEADLINE)
                continue;
            if (p->retry_at > b->now) {
                pend_wait(b, port, p, p->retry_at);
                continue;
            }
            uint32_t token = 0;
            int rc = send_standalone(b, pi, p->tlv, p->len, &token);
            if (rc == 0) {
                b->base.c.fb_tx_resent++;
                if (!p->final) {
                    p->used = 0;
                    continue;
                }
                p->token = token;
                p->retry_at = SAMI_NO_DEADLINE;
            } else if (rc == SAMI_ERR_LIMIT && ++p->tries <= 64) {
                pend_wait(b, port, p, b->now + sami_ecp_engine_ack_time(&port->vdp.ecp));
            } else {
                b->base.c.fb_tx_fail++;
                p->used = 0;
            }
        }
    }
}

static int op_send_feedback(void *ctx, uint32_t hv_port, const struct sami_feedback *fb)
{
    struct bnode *b = ctx;
    uint8_t val[SAMI_SAMITLV_MAX_VALUE];
    uint8_t tlv[ORG_TLV_MAX];
    size_t vlen = 0;
    ptrdiff_t pi = port_index(b, (int)hv_port);
    if (pi < 0) {
        b->base.c.fb_tx_fail++;
        return SAMI_ERR_NOTFOUND;
    }
    int rc = sami_samitlv_feedback_encode(fb, b->base.oui, val, sizeof val, &vlen);
    size_t tlen = rc ? 0 : node_org_tlv(tlv, sizeof tlv, val, vlen);
    if (!tlen) {
        b->base.c.fb_tx_fail++;
        return rc ? rc : SAMI_ERR_TOOBIG;
    }
    struct bport *p = &b->ports[pi];
    if (b->riding == pi && b->ride_ok && p->ride_len + tlen <= sizeof p->ride) {
        /* Rides on the VDP response to the request the notification came
         * with (the policy attaches it). */
        memcpy(p->ride + p->ride_len, tlv, tlen);
        p->ride_len += tlen;
        return 0;
    }
    return feedback_standalone(b, (size_t)pi, tlv, tlen, fb->verdict != SAMI_VERDICT_PENDING);
}

/* What the policy did not take (DeAssoc and keep-alives get no policy call)
 * goes standalone, one TLV per PDU so each can be tracked. */
static void ride_flush(struct bnode *b, size_t pi)
{
    struct bport *p = &b->ports[pi];
    size_t off = p->ride_used;
    while (off + SAMI_VDP_TLV_HDR_LEN <= p->ride_len) {
        size_t vlen = (size_t)(((p->ride[off] << 8) | p->ride[off + 1]) & 0x1ff);
        size_t tlen = vlen + SAMI_VDP_TLV_HDR_LEN;
        /* verdict is octet 5 of the value (after OUI, subtype, version) */
        int final = vlen > 5 && p->ride[off + SAMI_VDP_TLV_HDR_LEN + 5] != SAMI_VERDICT_PENDING;
        (void)feedback_standalone(b, pi, p->ride + off, tlen, final);
        off += tlen;
    }
    p->ride_len = p->ride_used = 0;
}

/* ------------------------------------------------------- VDP upcalls -- */

static void vdp_policy(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                       const struct sami_vdp_bridge_vsi *cur, struct sami_vdp_bridge_decision *d)
{
    struct bport *p = ctx;
    (void)now, (void)req, (void)cur;
    /* The VSI manager of this node accepts every VSI: port profiles are not
     * what the demo or samid decide on. */
    d->accept = true;
    if (p->ride_len > p->ride_used) {
        d->org = p->ride + p->ride_used;
        d->org_len = p->ride_len - p->ride_used;
        for (size_t off = p->ride_used; off + 2 <= p->ride_len;) {
            off += (size_t)(((p->ride[off] << 8) | p->ride[off + 1]) & 0x1ff) + 2;
            p->b->base.c.fb_tx_riding++;
        }
        p->ride_used = p->ride_len;
    }
}

static void vdp_event(void *ctx, sami_usec_t now, const struct sami_vdp_bridge_event *ev)
{
    struct bport *p = ctx;
    struct bnode *b = p->b;
    (void)now;
    if (ev->type != SAMI_VDP_BRIDGE_EV_ORG_SENT)
        return;
    for (size_t i = 0; i < p->npend; i++) {
        struct pend_fb *f = &p->pend[i];
        if (!f->used || f->token != ev->token || f->retry_at != SAMI_NO_DEADLINE)
            continue;
        if (ev->code == 0 || f->tries >= b->cfg.fb_resend) {
            if (ev->code != 0)
                b->base.c.fb_tx_fail++;
            f->used = 0;
        } else {
            /* Resent from the run loop, not from inside the VDP engine. */
            f->tries++;
            f->token = 0;
            pend_wait(b, p, f, b->now);
        }
        return;
    }
}

static void vdp_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                    const struct sami_vdp_tlv *tlv)
{
    struct bport *p = ctx;
    struct bnode *b = p->b;
    uint8_t st = 0;
    if (sami_samitlv_peek_subtype(tlv->value, tlv->length, b->base.oui, &st, NULL) != 0 ||
        st != SAMI_SUBTYPE_NOTIFICATION) {
        b->base.c.org_foreign++;
        return;
    }
    struct sami_notif n;
    if (sami_samitlv_notif_decode(tlv->value, tlv->length, b->base.oui, &n, NULL) != 0) {
        b->base.c.org_bad++;
        return;
    }
    b->base.c.notif_rx++;
    /* A response carries feedback only for a request (not for a response
     * the station should never send). */
    b->ride_ok = vsi && !vsi->response;
    (void)sami_mig_bridge_notification_input(&b->mig, now, (uint32_t)p->dl.port, &n);
    b->ride_ok = 0;
    /* A notification may move a VM's aging (freeze): re-read the store. */
    b->expire_at = dmin(b->expire_at, now);
}

/* ------------------------------------------------- transfer upcalls -- */

static int xq_push(struct bnode *b, const struct xev *e)
{
    if (b->xq_len == b->xq_cap) {
        size_t n = b->xq_cap ? b->xq_cap * 2 : 16;
        struct xev *q = malloc(n * sizeof *q);
        if (!q)
            return SAMI_ERR_NOMEM;
        for (size_t i = 0; i < b->xq_len; i++)
            q[i] = b->xq[(b->xq_head + i) % b->xq_cap];
        free(b->xq);
        b->xq = q;
        b->xq_cap = n;
        b->xq_head = 0;
    }
    b->xq[(b->xq_head + b->xq_len) % b->xq_cap] = *e;
    b->xq_len++;
    return 0;
}

static void queue_event(struct bnode *b, uint64_t mig, int event, uint16_t reason, uint8_t n,
                        const struct sami_xfer_type_result *res)
{
    struct xev e;
    memset(&e, 0, sizeof e);
    e.mig = mig;
    e.event = event;
    e.reason = reason;
    for (uint8_t i = 0; i < n && e.n < SAMI_SAMITLV_MAX_RESULTS; i++) {
        struct sami_fb_result *r = &e.res[e.n++];
        r->di_type = res[i].di_type;
        r->status = res[i].status;
        r->reason = res[i].reason;
        r->records_sent = res[i].sent;
        r->records_installed = res[i].installed;
    }
    if (xq_push(b, &e) != 0)
        b->base.c.xfer_event_drops++;
}

/* Transfer engine events, translated to mig_bridge's vocabulary. */
static void xfer_event(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev)
{
    struct bnode *b = ctx;
    (void)now;
    uint64_t m = ev->migration_id;
    switch (ev->type) {
    case SAMI_XFER_EV_PRECOPY_DONE:
        queue_event(b, m,
                    ev->status == SAMI_XFER_ST_OK ? SAMI_MIG_XFER_PRECOPY_DONE
                                                  : SAMI_MIG_XFER_RESULT_FAILED,
                    ev->reason, ev->n_results, ev->results);
        break;
    case SAMI_XFER_EV_RESULT:
        queue_event(b, m,
                    ev->status == SAMI_XFER_ST_OK ? SAMI_MIG_XFER_RESULT_OK
                                                  : SAMI_MIG_XFER_RESULT_FAILED,
                    ev->reason, ev->n_results, ev->results);
        break;
    case SAMI_XFER_EV_ACTIVATED:
        /* The source engine purges and answers PURGE in one step: both of
         * mig_bridge's origin events, in order. */
        queue_event(b, m, SAMI_MIG_XFER_ACTIVATED, 0, 0, NULL);
        queue_event(b, m, SAMI_MIG_XFER_PURGED, ev->reason, 0, NULL);
        break;
    case SAMI_XFER_EV_ABORTED_BY_PEER:
        queue_event(b, m, SAMI_MIG_XFER_ABORTED_BY_PEER, ev->reason, 0, NULL);
        break;
    case SAMI_XFER_EV_TIMEOUT:
        queue_event(b, m, SAMI_MIG_XFER_PEER_TIMEOUT, ev->reason, ev->n_results, ev->results);
        break;
    case SAMI_XFER_EV_ERROR:
        queue_event(b, m, SAMI_MIG_XFER_PEER_ERROR, ev->reason, ev->n_results, ev->results);
        break;
    case SAMI_XFER_EV_INSTALLED:
        queue_event(b, m, SAMI_MIG_XFER_INSTALLED, 0, ev->n_results, ev->results);
        break;
    case SAMI_XFER_EV_PURGED:
        queue_event(b, m, SAMI_MIG_XFER_PURGED, ev->reason, 0, NULL);
        break;
    default:
        b->base.c.xfer_event_drops++;
        break;
    }
}

/* Delivers queued transfer events; what mig_bridge does with them may queue
 * more (an abort the transfer engine answers at once). */
static void drain(struct bnode *b)
{
    if (b->draining)
        return;
    b->draining = 1;
    while (b->xq_len) {
        struct xev e = b->xq[b->xq_head];
        b->xq_head = (b->xq_head + 1) % b->xq_cap;
        b->xq_len--;
        struct sami_mig_xfer_info info = {e.reason, e.n, e.res};
        b->base.c.xfer_events++;
        if (sami_mig_bridge_xfer_event(&b->mig, b->now, e.mig, e.event, &info) != 0)
            b->base.c.xfer_event_drops++;
        /* mig_bridge calls no op after ABORTED_BY_PEER, but the transfer
         * engine keeps an aborted source migration (PEER_ABORTED, to know
         * a repeated ABORT) until it is forgotten, and with it the store's
         * source migration: end both here, or they are never freed. */
        if (e.event == SAMI_MIG_XFER_ABORTED_BY_PEER &&
            sami_xfer_engine_state(b->xe, e.mig, SAMI_XFER_ROLE_SOURCE) ==
                SAMI_XFER_MS_PEER_ABORTED)
            (void)sami_xfer_engine_forget(b->xe, e.mig, SAMI_XFER_ROLE_SOURCE);
        /* installs, activations and purges change what ages */
        b->expire_at = dmin(b->expire_at, b->now);
    }
    pend_run(b);
    b->draining = 0;
}

/* ------------------------------------------------------ mig_bridge ops -- */

static int op_rc(struct bnode *b, int rc)
{
    if (rc < 0)
        b->base.c.op_errors++;
    return rc;
}

static int op_resolve_peer(void *ctx, const struct sami_bridge_ref *bridge, uint32_t *peer)
{
    struct bnode *b = ctx;
    for (size_t i = 0; i < b->npeers; i++) {
        const struct sami_bridge_ref *r = &b->peers[i].cfg.ref;
        if (r->chassis_id_subtype == bridge->chassis_id_subtype &&
            r->chassis_id_len == bridge->chassis_id_len &&
            memcmp(r->chassis_id, bridge->chassis_id, r->chassis_id_len) == 0) {
            *peer = (uint32_t)i;
            return 0;
        }
    }
    return SAMI_ERR_NOTFOUND;
}

/* The phase deadline mig_bridge just set for the record (ops may query). */
static sami_usec_t mig_deadline(const struct bnode *b, uint64_t mig_id)
{
    struct sami_mig_bridge_info info;
    if (sami_mig_bridge_get(&b->mig, mig_id, &info) != 0)
        return SAMI_NO_DEADLINE;
    return info.deadline;
}

static int op_xfer_precopy(void *ctx, uint32_t peer, const struct sami_bridge_ref *peer_ref,
                           uint64_t mig_id, const struct sami_vm_id *vm, uint32_t di_types)
{
    struct bnode *b = ctx;
    (void)peer_ref;
    if (peer >= b->npeers)
        return op_rc(b, SAMI_ERR_NOTFOUND);
    /* only the notification's "DI types wanted" move */
    return op_rc(b, sami_xfer_engine_precopy(b->xe, b->now, b->peers[peer].xid, mig_id, vm,
                                             di_types, mig_deadline(b, mig_id)));
}

static int op_xfer_commit(void *ctx, uint64_t mig_id)
{
    struct bnode *b = ctx;
    return op_rc(b, sami_xfer_engine_commit(b->xe, b->now, mig_id, mig_deadline(b, mig_id)));
}

static int op_xfer_expect(void *ctx, uint32_t peer, uint64_t mig_id, const struct sami_vm_id *vm,
                          uint32_t di_types, sami_usec_t deadline)
{
    struct bnode *b = ctx;
    if (peer >= b->npeers)
        return op_rc(b, SAMI_ERR_NOTFOUND);
    return op_rc(b, sami_xfer_engine_expect(b->xe, b->now, mig_id, vm, b->peers[peer].xid,
                                            di_types, deadline));
}

static int op_xfer_activate(void *ctx, uint64_t mig_id)
{
    struct bnode *b = ctx;
    int rc = sami_xfer_engine_activate(b->xe, b->now, mig_id);
    if (rc == 0) {
        /* The engine activated the store synchronously; mig_bridge hears
         * it after this op returns. */
        queue_event(b, mig_id, SAMI_MIG_XFER_ACTIVATED, 0, 0, NULL);
    }
    return op_rc(b, rc);
}

static int op_xfer_abort(void *ctx, uint64_t mig_id, int notify_peer, uint16_t reason)
{
    struct bnode *b = ctx;
    struct sami_mig_bridge_info info;
    int role = SAMI_XFER_ROLE_SOURCE;
    if (sami_mig_bridge_get(&b->mig, mig_id, &info) == 0 && info.role == SAMI_MIG_BRIDGE_DEST)
        role = SAMI_XFER_ROLE_DEST;
    int rc = notify_peer ? sami_xfer_engine_abort(b->xe, b->now, mig_id, reason)
                         : sami_xfer_engine_forget(b->xe, mig_id, role);
    /* Nothing there to abort (never started, already ended) is not a
     * failure of the rollback. */
    if (rc == SAMI_ERR_NOTFOUND)
        rc = 0;
    return op_rc(b, rc);
}

static int op_freeze(void *ctx, uint64_t mig_id, const struct sami_vm_id *vm)
{
    struct bnode *b = ctx;
    (void)vm;
    return op_rc(b, sami_store_freeze(&b->store, mig_id));
}

static int op_unfreeze(void *ctx, uint64_t mig_id, const struct sami_vm_id *vm)
{
    struct bnode *b = ctx;
    (void)vm;
    int rc = sami_store_unfreeze(&b->store, mig_id);
    /* The transfer engine ends the store's source migration itself on
     * purge and abort, which already released the freeze. */
    if (rc == SAMI_ERR_NOTFOUND)
        rc = 0;
    b->expire_at = dmin(b->expire_at, b->now);
    return op_rc(b, rc);
}

static const struct sami_mig_bridge_ops bridge_ops = {
    op_send_feedback, op_resolve_peer, op_xfer_precopy, op_xfer_commit, op_xfer_expect,
    op_xfer_activate, op_xfer_abort, op_freeze, op_unfreeze};

/* ----------------------------------------------------------- lifecycle -- */

void sami_node_bridge_cfg_default(struct sami_node_bridge_cfg *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    sami_vdp_sm_params_default(&cfg->vdp);
    cfg->vdp_set = 1;
    sami_mig_bridge_cfg_default(&cfg->mig);
    cfg->max_vsis = SAMI_NODE_DEFAULT_MAX_VSIS;
    cfg->ecp_slots = SAMI_NODE_DEFAULT_ECP_SLOTS;
    cfg->max_migrations = SAMI_NODE_DEFAULT_MAX_MIGRATIONS;
    cfg->fb_resend = 3;
}

/* Engines only (the store and the tables survive a restart). */
static int engines_start(struct bnode *b)
{
    struct sami_node_bridge_cfg *c = &b->cfg;
    for (size_t i = 0; i < b->nports; i++) {
        struct bport *p = &b->ports[i];
        struct sami_vdp_bridge_config vc;
        sami_vdp_bridge_config_default(&vc);
        memcpy(vc.mac, p->dl.mac, 6);
        memcpy(vc.mgrid, c->mgrid, sizeof vc.mgrid);
        vc.params = c->vdp;
        struct sami_vdp_bridge_callbacks cb = {port_tx, vdp_policy, vdp_event, vdp_org, p};
        int rc = sami_vdp_bridge_init(&p->vdp, &vc, &cb, p->vsis, c->max_vsis, p->slots,
                                      c->ecp_slots);
        if (rc)
            return rc;
        p->ride_len = p->ride_used = 0;
    }

    struct sami_mig_bridge_cfg mc = c->mig;
    mc.local = c->local;
    int rc = sami_mig_bridge_init(&b->mig, &mc, &bridge_ops, b, b->migtab, b->nmig);
    if (rc)
        return rc;

    struct sami_xfer_link_cfg lc;
    memset(&lc, 0, sizeof lc);
    lc.rto = c->link_rto;
    lc.retries = c->link_retries;
    lc.window = c->link_window;
    lc.tx_frame = link_tx;
    lc.deliver = link_deliver_unset;
    lc.tx_ctx = b;
    rc = sami_xfer_link_init(&b->link, &lc, b->lpeers, b->npeers);
    if (rc)
        return rc;
    size_t qcap = c->link_queue ? c->link_queue : (size_t)1 << 20;
    size_t rcap = (size_t)(c->xfer_limits.max_msg ? c->xfer_limits.max_msg : 65536u);
    for (size_t i = 0; i < b->npeers; i++) {
        struct bpeer *p = &b->peers[i];
        if (!p->rxbuf)
            p->rxbuf = malloc(rcap);
        if (!p->rxbuf)
            return SAMI_ERR_NOMEM;
        if (p->cfg.binding == SAMI_XFER_BIND_STREAM) {
            /* a restart drops the connection: start a fresh message */
            p->lid = -1;
            rc = sami_xfer_deframer_init(&p->df, p->rxbuf, rcap, 0);
            if (rc)
                return rc;
            continue;
        }
        if (!p->txq)
            p->txq = malloc(qcap);
        if (!p->txq)
            return SAMI_ERR_NOMEM;
        p->lid = sami_xfer_link_add_peer(&b->link, p, p->txq, qcap, p->rxbuf, rcap);
        if (p->lid < 0)
            return p->lid;
    }

    struct sami_xfer_engine_cfg xc;
    memset(&xc, 0, sizeof xc);
    xc.local = c->xfer_id;
    xc.name = b->base.name[0] ? b->base.name : NULL;
    xc.keyring = c->keyring;
    xc.tx_key_id = c->tx_key_id;
    xc.limits = c->xfer_limits;
    if (!xc.limits.max_migrations)
        xc.limits.max_migrations = (uint32_t)b->nmig;
    if (!xc.limits.max_peers)
        xc.limits.max_peers = (uint32_t)(b->npeers ? b->npeers : 1);
    xc.rto = c->xfer_rto;
    xc.retries = c->xfer_retries;
    xc.backoff = c->xfer_backoff;
    xc.resolve = c->xfer_resolve;
    xc.window = c->xfer_window;
    /* A restarted agent must not reuse sequence numbers its peers saw
     * (their replay windows survive): each boot starts far above the last. */
    xc.seq_start = (c->xfer_seq_start ? c->xfer_seq_start : 1u) + (b->epoch << 40);
    xc.store = b->store;
    xc.alloc.alloc = m_alloc;
    xc.alloc.free = m_free;
    xc.link = &b->link;
    xc.tx = stream_tx;
    xc.event = xfer_event;
    xc.ctx = b;
    rc = sami_xfer_engine_create(&xc, &b->xe);
    if (rc)
        return rc;
    for (size_t i = 0; i < b->npeers; i++) {
        struct bpeer *p = &b->peers[i];
        int stream = p->cfg.binding == SAMI_XFER_BIND_STREAM;
        p->xid = sami_xfer_engine_add_peer(b->xe, &p->cfg.id,
                                           stream ? SAMI_XFER_BIND_STREAM : SAMI_XFER_BIND_L2, p,
                                           p->lid);
        if (p->xid < 0)
            return p->xid;
    }
    b->xq_head = b->xq_len = 0;
    for (size_t pi = 0; pi < b->nports; pi++) {
        for (size_t i = 0; i < b->ports[pi].npend; i++)
            b->ports[pi].pend[i].used = 0;
        b->ports[pi].pend_due = SAMI_NO_DEADLINE;
    }
    b->pend_due = SAMI_NO_DEADLINE;
    b->riding = -1;
    b->ride_ok = 0;
    b->expire_at = 0;
    return 0;
}

static int bridge_cfg_check(const struct sami_node_bridge_cfg *c)
{
    if (!c->tx || !c->downlinks || !c->n_downlinks || (c->n_peers && !c->peers))
        return SAMI_ERR_INVAL;
    for (size_t i = 0; i < c->n_downlinks; i++) {
        for (size_t j = i + 1; j < c->n_downlinks; j++)
            if (c->downlinks[i].port == c->downlinks[j].port)
                return SAMI_ERR_INVAL;
        for (size_t j = 0; j < c->n_peers; j++)
            if (c->downlinks[i].port == c->peers[j].port)
                return SAMI_ERR_INVAL;
    }
    for (size_t i = 0; i < c->n_peers; i++) {
        const struct sami_node_peer *p = &c->peers[i];
        if (memcmp(p->id.mac, c->xfer_id.mac, 6) == 0 && p->id.priority == c->xfer_id.priority)
            return SAMI_ERR_INVAL;
        if (p->binding != 0 && p->binding != SAMI_XFER_BIND_L2 &&
            p->binding != SAMI_XFER_BIND_STREAM)
            return SAMI_ERR_INVAL;
        /* a stream peer's port is its connection: nobody else's */
        for (size_t j = 0; j < c->n_peers; j++)
            if (j != i && c->peers[j].port == p->port &&
                (p->binding == SAMI_XFER_BIND_STREAM ||
                 c->peers[j].binding == SAMI_XFER_BIND_STREAM))
                return SAMI_ERR_INVAL;
    }
    return sami_bridge_ref_check(&c->local) ? SAMI_ERR_INVAL : 0;
}

int sami_node_bridge_create(const struct sami_node_bridge_cfg *cfg, struct sami_node **out)
{
    if (!cfg || !out)
        return SAMI_ERR_INVAL;
    *out = NULL;
    int rc = bridge_cfg_check(cfg);
    if (rc)
        return rc;
    struct bnode *b = node_calloc(1, sizeof *b);
    if (!b)
        return SAMI_ERR_NOMEM;
    node_base_init(&b->base, SAMI_NODE_BRIDGE, cfg->name, cfg->tx, cfg->tx_ctx, cfg->oui);
    b->cfg = *cfg;
    struct sami_node_bridge_cfg *c = &b->cfg;
    c->name = NULL;
    c->oui = NULL;
    c->downlinks = NULL;
    c->peers = NULL;
    if (!c->vdp_set && !c->vdp.r && !c->vdp.rte && !c->vdp.rwd && !c->vdp.rka)
        sami_vdp_sm_params_default(&c->vdp);
    if (!c->mig.prepare_timeout || !c->mig.commit_timeout || !c->mig.activate_timeout ||
        !c->mig.purge_timeout || !c->mig.linger) {
        struct sami_mig_bridge_cfg d;
        sami_mig_bridge_cfg_default(&d);
        if (!c->mig.margin && !c->mig.prepare_timeout)
            c->mig.margin = d.margin;
        if (!c->mig.prepare_timeout)
            c->mig.prepare_timeout = d.prepare_timeout;
        if (!c->mig.commit_timeout)
            c->mig.commit_timeout = d.commit_timeout;
        if (!c->mig.activate_timeout)
            c->mig.activate_timeout = d.activate_timeout;
        if (!c->mig.purge_timeout)
            c->mig.purge_timeout = d.purge_timeout;
        if (!c->mig.linger)
            c->mig.linger = d.linger;
    }
    if (!c->max_vsis)
        c->max_vsis = SAMI_NODE_DEFAULT_MAX_VSIS;
    if (!c->ecp_slots)
        c->ecp_slots = SAMI_NODE_DEFAULT_ECP_SLOTS;
    if (!c->max_migrations)
        c->max_migrations = SAMI_NODE_DEFAULT_MAX_MIGRATIONS;
    if (!c->fb_resend)
        c->fb_resend = 3;

    b->nports = cfg->n_downlinks;
    b->npeers = cfg->n_peers;
    b->nmig = c->max_migrations;
    b->ports = node_calloc(b->nports, sizeof *b->ports);
    b->peers = node_calloc(b->npeers, sizeof *b->peers);
    b->lpeers = node_calloc(b->npeers, sizeof *b->lpeers);
    b->migtab = node_calloc(b->nmig, sizeof *b->migtab);
    rc = (b->ports && b->peers && b->lpeers && b->migtab) ? 0 : SAMI_ERR_NOMEM;
    for (size_t i = 0; !rc && i < b->nports; i++) {
        struct bport *p = &b->ports[i];
        p->b = b;
        p->dl = cfg->downlinks[i];
        p->vsis = node_calloc(c->max_vsis, sizeof *p->vsis);
        p->slots = node_calloc(c->ecp_slots, sizeof *p->slots);
        if (!p->vsis || !p->slots)
            rc = SAMI_ERR_NOMEM;
    }
    for (size_t i = 0; !rc && i < b->npeers; i++)
        b->peers[i].cfg = cfg->peers[i];

    if (!rc) {
        struct sami_memstore_config mc;
        memset(&mc, 0, sizeof mc);
        mc.alloc.alloc = m_alloc;
        mc.alloc.free = m_free;
        mc.max_records = cfg->max_records;
        rc = sami_memstore_create(&mc, &b->ms);
        if (!rc)
            b->store = sami_memstore_store(b->ms);
    }
    if (!rc)
        rc = engines_start(b);
    if (rc) {
        node_bridge_destroy(&b->base);
        return rc;
    }
    *out = &b->base;
    return 0;
}

void node_bridge_destroy(struct sami_node *n)
{
    struct bnode *b = B(n);
    if (!b)
        return;
    sami_xfer_engine_destroy(b->xe);
    sami_memstore_destroy(b->ms);
    for (size_t i = 0; b->ports && i < b->nports; i++) {
        free(b->ports[i].vsis);
        free(b->ports[i].slots);
        free(b->ports[i].pend);
    }
    for (size_t i = 0; b->peers && i < b->npeers; i++) {
        free(b->peers[i].txq);
        free(b->peers[i].rxbuf);
    }
    sami_secure_zero(&b->cfg.keyring, sizeof b->cfg.keyring);
    free(b->ports);
    free(b->peers);
    free(b->lpeers);
    free(b->migtab);
    free(b->xq);
    free(b);
}

void node_bridge_restart(struct sami_node *n, sami_usec_t now)
{
    struct bnode *b = B(n);
    if (!b)
        return;
    b->now = now;
    /* Migrations past the commit that the destination settles survive with
     * the tables (sami_node_restart); read them before the engine goes. */
    size_t npend = sami_xfer_engine_list_pending(b->xe, NULL, 0);
    struct sami_xfer_pending *pend = npend ? malloc(npend * sizeof *pend) : NULL;
    if (!pend)
        npend = 0; /* out of memory: they are rolled back like the rest */
    else
        (void)sami_xfer_engine_list_pending(b->xe, pend, npend);
    /* Roll back what in-flight migrations hold in the surviving store. A
     * committed source's records stay, unfrozen (no source migration is
     * needed to purge them on a late ACTIVATE); an activated destination's
     * discard is a no-op. */
    for (size_t i = 0; i < b->nmig; i++) {
        const struct sami_mig_bridge_rec *r = &b->migtab[i];
        if (r->state == SAMI_MIG_BRIDGE_FREE)
            continue;
        if (r->role == SAMI_MIG_BRIDGE_DEST)
            (void)sami_store_discard(&b->store, r->mig_id);
        else
            sami_store_source_end(&b->store, r->mig_id);
    }
    sami_xfer_engine_destroy(b->xe);
    b->xe = NULL;
    b->epoch++;
    memset(b->lpeers, 0, b->npeers * sizeof *b->lpeers);
    if (engines_start(b) != 0) {
        /* Out of memory mid-restart: stay deaf rather than half-wired. */
        sami_xfer_engine_destroy(b->xe);
        b->xe = NULL;
    }
    /* Peer ids are the same: the peer table is rebuilt in config order. */
    for (size_t i = 0; b->xe && i < npend; i++)
        if (sami_xfer_engine_adopt(b->xe, now, &pend[i]) != 0)
            b->base.c.op_errors++;
    free(pend);
}

/* ------------------------------------------------------------- driving -- */

/* Bytes of a stream peer's connection, in any chunking. */
static void stream_rx(struct bnode *b, struct bpeer *p, const uint8_t *data, size_t len)
{
    while (len) {
        size_t used = 0, mlen = 0;
        const uint8_t *msg = NULL;
        int rc = sami_xfer_deframer_push(&p->df, data, len, &used, &msg, &mlen);
        if (rc < 0) {
            /* samid would close the connection; here the stream restarts at
             * the next message boundary the peer sends */
            b->base.c.stream_errors++;
            (void)sami_xfer_deframer_init(&p->df, p->df.buf, p->df.max, 0);
            return;
        }
        if (rc == 1)
            (void)sami_xfer_engine_input(b->xe, b->now, p->xid, msg, mlen);
        data += used;
        len -= used;
        if (rc == 0)
            return;
    }
}

void node_bridge_rx(struct sami_node *n, sami_usec_t now, int port, const uint8_t *f, size_t len)
{
    struct bnode *b = B(n);
    if (!b || !b->xe)
        return;
    b->now = now;
    uint16_t et = node_ethertype(f, len);
    ptrdiff_t pi = port_index(b, port);
    if (pi >= 0 && et == SAMI_ECP_ETHERTYPE) {
        b->riding = pi;
        (void)sami_vdp_bridge_input(&b->ports[pi].vdp, now, f, len);
        b->riding = -1;
        ride_flush(b, (size_t)pi);
        drain(b);
        return;
    }
    for (size_t i = 0; pi < 0 && i < b->npeers; i++) {
        struct bpeer *p = &b->peers[i];
        if (p->cfg.binding != SAMI_XFER_BIND_STREAM || p->cfg.port != port)
            continue;
        stream_rx(b, p, f, len);
        drain(b);
        return;
    }
    if (pi < 0 && et == SAMI_XFER_L2_ETHERTYPE) {
        for (size_t i = 0; i < b->npeers; i++) {
            struct bpeer *p = &b->peers[i];
            /* fail closed: the frame must come from the peer's own MAC on
             * the port that leads to it */
            if (p->cfg.port != port || memcmp(f + 6, p->cfg.id.mac, 6) != 0)
                continue;
            (void)sami_xfer_link_input(&b->link, now, p->lid, f + NODE_ETH_HLEN,
                                       len - NODE_ETH_HLEN);
            drain(b);
            return;
        }
    }
    b->base.c.rx_ignored++;
}

sami_usec_t node_bridge_next_deadline(const struct sami_node *n)
{
    const struct bnode *b = CB(n);
    if (!b || !b->xe)
        return SAMI_NO_DEADLINE;
    sami_usec_t d = b->expire_at;
    for (size_t i = 0; i < b->nports; i++)
        d = dmin(d, sami_vdp_bridge_next_deadline(&b->ports[i].vdp));
    d = dmin(d, sami_mig_bridge_next_deadline(&b->mig));
    d = dmin(d, sami_xfer_engine_next_deadline(b->xe));
    return dmin(d, b->pend_due);
}

void node_bridge_run(struct sami_node *n, sami_usec_t now)
{
    struct bnode *b = B(n);
    if (!b || !b->xe)
        return;
    b->now = now;
    for (size_t i = 0; i < b->nports; i++)
        sami_vdp_bridge_run(&b->ports[i].vdp, now);
    sami_xfer_engine_run(b->xe, now);
    drain(b);
    sami_mig_bridge_run(&b->mig, now);
    drain(b);
    if (b->expire_at <= now)
        b->expire_at = sami_store_expire(&b->store, now);
    pend_run(b);
}

/* ------------------------------------------------------------ learners -- */

int sami_node_bridge_put(struct sami_node *n, sami_usec_t now, const struct sami_vm_id *vm,
                         const struct sami_di_record *rec)
{
    struct bnode *b = B(n);
    if (!b || !rec)
        return SAMI_ERR_INVAL;
    int rc = sami_store_put(&b->store, vm, rec, now);
    if (rc == 0) {
        uint32_t ms = sami_store_expiry_ms(rec);
        if (ms != SAMI_DI_INFINITE)
            b->expire_at = dmin(b->expire_at, now + SAMI_MSEC(ms));
    }
    return rc;
}

int sami_node_bridge_del(struct sami_node *n, sami_usec_t now, const struct sami_vm_id *vm,
                         const struct sami_di_record *rec)
{
    struct bnode *b = B(n);
    (void)now;
    if (!b)
        return SAMI_ERR_INVAL;
    return sami_store_del(&b->store, vm, rec);
}

int sami_node_bridge_peer_connected(struct sami_node *n, sami_usec_t now, int port)
{
    struct bnode *b = B(n);
    if (!b || !b->xe)
        return SAMI_ERR_INVAL;
    for (size_t i = 0; i < b->npeers; i++) {
        struct bpeer *p = &b->peers[i];
        if (p->cfg.binding != SAMI_XFER_BIND_STREAM || p->cfg.port != port)
            continue;
        b->now = now;
        int rc = sami_xfer_engine_hello(b->xe, now, p->xid);
        drain(b);
        return rc;
    }
    return SAMI_ERR_NOTFOUND;
}

struct sami_store sami_node_bridge_store(struct sami_node *n)
{
    struct bnode *b = B(n);
    struct sami_store none = {NULL, NULL};
    return b ? b->store : none;
}

const struct sami_mig_bridge *sami_node_bridge_mig(const struct sami_node *n)
{
    const struct bnode *b = CB(n);
    return b ? &b->mig : NULL;
}

const struct sami_xfer_engine *sami_node_bridge_xfer(const struct sami_node *n)
{
    const struct bnode *b = CB(n);
    return b ? b->xe : NULL;
}

const struct sami_xfer_link *sami_node_bridge_link(const struct sami_node *n)
{
    const struct bnode *b = CB(n);
    return b ? &b->link : NULL;
}

const struct sami_vdp_bridge *sami_node_bridge_vdp(const struct sami_node *n, int port)
{
    const struct bnode *b = CB(n);
    ptrdiff_t pi = b ? port_index(b, port) : -1;
    return pi >= 0 ? &b->ports[pi].vdp : NULL;
}

const struct sami_memstore *sami_node_bridge_memstore(const struct sami_node *n)
{
    const struct bnode *b = CB(n);
    return b ? b->ms : NULL;
}
