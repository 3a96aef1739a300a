/* Generic node entry points: dispatch on the kind. */
#include <stdlib.h>
#include <string.h>

#include "node_int.h"

void node_base_init(struct sami_node *n, int kind, const char *name, sami_node_tx_fn tx,
                    void *tx_ctx, const uint8_t *oui)
{
    static const uint8_t dflt[3] = SAMI_OUI_DEFAULT;
    n->kind = kind;
    memset(n->name, 0, sizeof n->name);
    if (name) {
        size_t l = strlen(name);
        memcpy(n->name, name, l < sizeof n->name - 1 ? l : sizeof n->name - 1);
    }
    memset(&n->c, 0, sizeof n->c);
    n->tx = tx;
    n->tx_ctx = tx_ctx;
    memcpy(n->oui, oui ? oui : dflt, 3);
}

size_t node_org_tlv(uint8_t *out, size_t cap, const uint8_t *value, size_t len)
{
    if (len > SAMI_VDP_TLV_MAX_LEN || cap < len + SAMI_VDP_TLV_HDR_LEN)
        return 0;
    uint16_t h = (uint16_t)((SAMI_VDP_TLV_ORG << 9) | len);
    out[0] = (uint8_t)(h >> 8);
    out[1] = (uint8_t)h;
    memcpy(out + SAMI_VDP_TLV_HDR_LEN, value, len);
    return len + SAMI_VDP_TLV_HDR_LEN;
}

void *node_calloc(size_t n, size_t size)
{
    /* calloc(0, x) may return NULL: ask for at least one element. */
    return calloc(n ? n : 1, size ? size : 1);
}

void sami_node_rx(void *node, sami_usec_t now, int port, const uint8_t *frame, size_t len)
{
    struct sami_node *n = node;
    if (!n || !frame)
        return;
    n->c.rx_frames++;
    if (n->kind == SAMI_NODE_BRIDGE)
        node_bridge_rx(n, now, port, frame, len);
    else if (n->kind == SAMI_NODE_HV)
        node_hv_rx(n, now, port, frame, len);
}

sami_usec_t sami_node_next_deadline(void *node)
{
    const struct sami_node *n = node;
    if (!n)
        return SAMI_NO_DEADLINE;
    return n->kind == SAMI_NODE_BRIDGE ? node_bridge_next_deadline(n)
           : n->kind == SAMI_NODE_HV   ? node_hv_next_deadline(n)
                                       : SAMI_NO_DEADLINE;
}

void sami_node_run(void *node, sami_usec_t now)
{
    struct sami_node *n = node;
    if (!n)
        return;
    if (n->kind == SAMI_NODE_BRIDGE)
        node_bridge_run(n, now);
    else if (n->kind == SAMI_NODE_HV)
        node_hv_run(n, now);
}

void sami_node_restart(void *node, sami_usec_t now)
{
    struct sami_node *n = node;
    if (!n)
        return;
    n->c.restarts++;
    if (n->kind == SAMI_NODE_BRIDGE)
        node_bridge_restart(n, now);
    else if (n->kind == SAMI_NODE_HV)
        node_hv_restart(n, now);
}

void sami_node_destroy(struct sami_node *n)
{
    if (!n)
        return;
    if (n->kind == SAMI_NODE_BRIDGE)
        node_bridge_destroy(n);
    else if (n->kind == SAMI_NODE_HV)
        node_hv_destroy(n);
}

int sami_node_kind(const struct sami_node *n)
{
    return n ? n->kind : 0;
}

const char *sami_node_name(const struct sami_node *n)
{
    return n ? n->name : "";
}

const struct sami_node_counters *sami_node_counters(const struct sami_node *n)
{
    return n ? &n->c : NULL;
}
