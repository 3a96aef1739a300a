/* ECP engine: stop-and-wait transmitter and duplicate-suppressing receiver
 * (IEEE 802.1Qbg-2012 clause 43). See sami/ecp_engine.h and
 * docs/ENGINES-VDP.md. */
#include "sami/ecp_engine.h"

#include <string.h>

#include "sami/cursor.h"

static const uint8_t group_mac[6] = SAMI_ECP_GROUP_MAC_INIT;

/* 0 is never sent: lldpad and the standard's receivers start from 1. */
static uint16_t next_seq(uint16_t s)
{
    s++;
    if (s == 0)
        s = 1;
    return s;
}

void sami_ecp_engine_config_default(struct sami_ecp_engine_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->dst, group_mac, 6);
    cfg->subtype = SAMI_ECP_SUBTYPE_VDP;
    cfg->r = SAMI_ECP_ENGINE_DEFAULT_R;
    cfg->rte = SAMI_ECP_ENGINE_DEFAULT_RTE;
}

static int check_params(uint8_t r, uint8_t rte)
{
    if (r > SAMI_ECP_ENGINE_MAX_R || rte > SAMI_ECP_ENGINE_MAX_RTE)
        return SAMI_ERR_VALUE;
    return 0;
}

int sami_ecp_engine_init(struct sami_ecp_engine *e, const struct sami_ecp_engine_config *cfg,
                         const struct sami_ecp_engine_callbacks *cb, struct sami_ecp_slot *slots,
                         size_t nslots)
{
    if (!e || !cfg || !cb || !cb->tx || !slots || nslots == 0)
        return SAMI_ERR_INVAL;
    if (check_params(cfg->r, cfg->rte) || cfg->subtype > SAMI_ECP_SUBTYPE_MAX)
        return SAMI_ERR_VALUE;
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    e->cb = *cb;
    /* tx_seq holds the last number sent; the first send advances it */
    e->tx_seq = (uint16_t)(cfg->initial_seq ? cfg->initial_seq - 1u : 0u);
    e->slots = slots;
    e->nslots = nslots;
    e->next_token = 1;
    e->ack_deadline = SAMI_NO_DEADLINE;
    return 0;
}

int sami_ecp_engine_set_params(struct sami_ecp_engine *e, uint8_t r, uint8_t rte)
{
    int rc = check_params(r, rte);
    if (rc)
        return rc;
    e->cfg.r = r;
    e->cfg.rte = rte;
    return 0;
}

sami_usec_t sami_ecp_engine_ack_time(const struct sami_ecp_engine *e)
{
    return (sami_usec_t)10u << e->cfg.rte;
}

sami_usec_t sami_ecp_engine_dup_window(const struct sami_ecp_engine *e)
{
    if (e->cfg.dup_window_us)
        return e->cfg.dup_window_us;
    /* The sender retransmits one number for at most R * ackTime; twice its
     * whole life covers network delay, and the floor covers a peer whose
     * timers are longer than ours before EVB negotiation. */
    sami_usec_t w = 2u * ((sami_usec_t)e->cfg.r + 1u) * sami_ecp_engine_ack_time(e);
    return w > SAMI_ECP_ENGINE_DUP_WINDOW_MIN ? w : SAMI_ECP_ENGINE_DUP_WINDOW_MIN;
}

size_t sami_ecp_engine_queued(const struct sami_ecp_engine *e)
{
    return e->count;
}

static void eth_header(struct sami_wr *w, const uint8_t dst[6], const uint8_t src[6])
{
    sami_wr_bytes(w, dst, 6);
    sami_wr_bytes(w, src, 6);
    sami_wr_u16(w, (uint16_t)SAMI_ECP_ETHERTYPE);
}

/* (Re)transmits the ULPDU at the head of the queue with tx_seq. */
static void transmit(struct sami_ecp_engine *e)
{
    const struct sami_ecp_slot *s = &e->slots[e->head];
    struct sami_wr w;
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, s->subtype, e->tx_seq};
    sami_wr_init(&w, e->frame, sizeof e->frame);
    eth_header(&w, e->cfg.dst, e->cfg.mac);
    sami_ecp_write(&w, &h);
    sami_wr_bytes(&w, s->data, s->len);
    if (w.pos < SAMI_ECP_MIN_FRAME_LEN)
        sami_wr_zero(&w, SAMI_ECP_MIN_FRAME_LEN - w.pos);
    e->stats.tx_requests++;
    e->cb.tx(e->cb.ctx, e->frame, w.pos);
}

static void start_next(struct sami_ecp_engine *e, sami_usec_t now)
{
    if (e->in_flight || e->hold || e->count == 0)
        return;
    e->tx_seq = next_seq(e->tx_seq);
    e->tx_retries = 0;
    e->in_flight = true;
    e->ack_deadline = now + sami_ecp_engine_ack_time(e);
    transmit(e);
}

/* Removes the head ULPDU and tells the user; the caller restarts the queue. */
static void finish_head(struct sami_ecp_engine *e, sami_usec_t now, int code)
{
    uint32_t token = e->slots[e->head].token;
    e->in_flight = false;
    e->ack_deadline = SAMI_NO_DEADLINE;
    e->head = (e->head + 1) % e->nslots;
    e->count--;
    if (code == 0) {
        if (e->cb.acked)
            e->cb.acked(e->cb.ctx, now, token);
    } else if (e->cb.error) {
        e->cb.error(e->cb.ctx, now, token, code);
    }
}

int sami_ecp_engine_send(struct sami_ecp_engine *e, sami_usec_t now, const uint8_t *ulpdu,
                         size_t len, uint32_t *token)
{
    if (!e || (!ulpdu && len))
        return SAMI_ERR_INVAL;
    if (len > SAMI_ECP_ENGINE_MAX_ULPDU)
        return SAMI_ERR_TOOBIG;
    if (e->count == e->nslots) {
        e->stats.queue_full++;
        return SAMI_ERR_LIMIT;
    }
    struct sami_ecp_slot *s = &e->slots[(e->head + e->count) % e->nslots];
    s->token = e->next_token++;
    if (e->next_token == 0)
        e->next_token = 1; /* 0 stays free for "no token" in the users */
    s->subtype = e->cfg.subtype;
    s->len = (uint16_t)len;
    if (len)
        memcpy(s->data, ulpdu, len);
    e->count++;
    e->stats.queued++;
    if (token)
        *token = s->token;
    start_next(e, now);
    return 0;
}

static void send_ack(struct sami_ecp_engine *e, const uint8_t dst[6], uint16_t subtype,
                     uint16_t seq)
{
    uint8_t f[SAMI_ECP_ACK_FRAME_LEN];
    struct sami_wr w;
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_ACK, subtype, seq};
    sami_wr_init(&w, f, sizeof f);
    eth_header(&w, dst, e->cfg.mac);
    sami_ecp_write(&w, &h);
    e->stats.tx_acks++;
    /* Unpadded 18 octets, as lldpad sends them. */
    e->cb.tx(e->cb.ctx, f, w.pos);
}

/* Was seq delivered within the duplicate window? lastSeq of the standard is
 * the newest entry; older ones catch copies that a reordering network
 * delivers after the sender has moved on. */
static bool seen_recently(const struct sami_ecp_engine *e, uint16_t seq, sami_usec_t now)
{
    sami_usec_t win = sami_ecp_engine_dup_window(e);
    for (size_t i = 0; i < SAMI_ECP_ENGINE_RX_HISTORY; i++) {
        const struct sami_ecp_rx_seen *s = &e->seen[i];
        if (!s->valid || s->seq != seq)
            continue;
        if (now <= s->at || now - s->at <= win)
            return true;
    }
    return false;
}

static void remember(struct sami_ecp_engine *e, uint16_t seq, sami_usec_t now)
{
    for (size_t i = 0; i < SAMI_ECP_ENGINE_RX_HISTORY; i++)
        if (e->seen[i].valid && e->seen[i].seq == seq)
            e->seen[i].valid = false;
    e->seen[e->seen_next] = (struct sami_ecp_rx_seen){now, seq, true};
    e->seen_next = (e->seen_next + 1) % SAMI_ECP_ENGINE_RX_HISTORY;
}

void sami_ecp_engine_peer_reset(struct sami_ecp_engine *e)
{
    memset(e->seen, 0, sizeof e->seen);
    e->seen_next = 0;
}

static int bad(struct sami_ecp_engine *e, int code)
{
    e->stats.bad_frames++;
    return code;
}

int sami_ecp_engine_input(struct sami_ecp_engine *e, sami_usec_t now, const uint8_t *frame,
                          size_t len)
{
    if (!e || (!frame && len))
        return SAMI_ERR_INVAL;
    struct sami_rd r;
    uint8_t dst[6], src[6];
    uint16_t type;
    struct sami_ecp_hdr h;
    sami_rd_init(&r, frame, len, NULL);
    if (sami_rd_bytes(&r, dst, 6, "eth.dst") || sami_rd_bytes(&r, src, 6, "eth.src") ||
        sami_rd_u16(&r, &type, "eth.type"))
        return bad(e, SAMI_ERR_TRUNCATED);
    if (type != SAMI_ECP_ETHERTYPE)
        return bad(e, SAMI_ERR_TYPE);
    int rc = sami_ecp_read(&r, &h);
    if (rc)
        return bad(e, rc);
    /* Like lldpad: a ULP we do not run is neither acked nor delivered, so its
     * sender learns through its own retries that nobody took it. */
    if (h.subtype != e->cfg.subtype)
        return bad(e, SAMI_ERR_UNSUPPORTED);

    if (h.op == SAMI_ECP_OP_ACK) {
        e->stats.rx_acks++;
        if (e->in_flight && h.seq == e->tx_seq) {
            e->stats.acked++;
            finish_head(e, now, 0);
            start_next(e, now);
        } else {
            e->stats.stale_acks++;
        }
        return 0;
    }

    e->stats.rx_requests++;
    /* Ack first: the peer's timer stops as early as possible and its ack
     * precedes anything the ULP sends in reply. */
    send_ack(e, src, h.subtype, h.seq);
    if (seen_recently(e, h.seq, now)) {
        e->stats.duplicates++;
        return 0;
    }
    remember(e, h.seq, now);
    e->stats.delivered++;
    if (e->cb.deliver)
        e->cb.deliver(e->cb.ctx, now, h.subtype, src, r.p + r.pos, sami_rd_left(&r));
    return 0;
}

sami_usec_t sami_ecp_engine_next_deadline(const struct sami_ecp_engine *e)
{
    return e->in_flight ? e->ack_deadline : SAMI_NO_DEADLINE;
}

void sami_ecp_engine_run(struct sami_ecp_engine *e, sami_usec_t now)
{
    if (!e->in_flight || now < e->ack_deadline)
        return;
    if (e->tx_retries < e->cfg.r) {
        e->tx_retries++;
        e->stats.retries++;
        /* From now, not from the old deadline: a late run still leaves the
         * peer a whole ackTime to answer the retransmission. */
        e->ack_deadline = now + sami_ecp_engine_ack_time(e);
        transmit(e);
        return;
    }
    e->stats.errors++;
    finish_head(e, now, SAMI_ERR_RETRIES);
    start_next(e, now);
}

void sami_ecp_engine_flush(struct sami_ecp_engine *e, sami_usec_t now)
{
    /* Only what is queued now: ULPDUs the callbacks queue survive. */
    size_t n = e->count;
    e->hold = true;
    for (size_t i = 0; i < n && e->count; i++) {
        e->stats.aborted++;
        finish_head(e, now, SAMI_ERR_ABORTED);
    }
    e->hold = false;
    start_next(e, now);
}
