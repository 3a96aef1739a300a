/* Internals shared by the node sources (not installed). */
#ifndef SAMI_NODE_INT_H
#define SAMI_NODE_INT_H

#include "sami/node.h"

#define NODE_NAME_MAX 64

/* Common head of both kinds: a struct sami_node * points at it. */
struct sami_node {
    int kind;
    char name[NODE_NAME_MAX];
    struct sami_node_counters c;
    sami_node_tx_fn tx;
    void *tx_ctx;
    uint8_t oui[3];
};

void node_base_init(struct sami_node *n, int kind, const char *name, sami_node_tx_fn tx,
                    void *tx_ctx, const uint8_t *oui);

/* Appends a VDP org TLV header (type 127, 9-bit length) and value to out;
 * returns the TLV length or 0 if it does not fit / the value is too long. */
size_t node_org_tlv(uint8_t *out, size_t cap, const uint8_t *value, size_t len);

/* Allocation that never returns NULL silently: callers check. */
void *node_calloc(size_t n, size_t size);

/* Kind-specific halves of the generic entry points. */
void node_bridge_rx(struct sami_node *n, sami_usec_t now, int port, const uint8_t *f, size_t len);
sami_usec_t node_bridge_next_deadline(const struct sami_node *n);
void node_bridge_run(struct sami_node *n, sami_usec_t now);
void node_bridge_restart(struct sami_node *n, sami_usec_t now);
void node_bridge_destroy(struct sami_node *n);

void node_hv_rx(struct sami_node *n, sami_usec_t now, int port, const uint8_t *f, size_t len);
sami_usec_t node_hv_next_deadline(const struct sami_node *n);
void node_hv_run(struct sami_node *n, sami_usec_t now);
void node_hv_restart(struct sami_node *n, sami_usec_t now);
void node_hv_destroy(struct sami_node *n);

/* Ethernet header helpers. */
#define NODE_ETH_HLEN 14
static inline uint16_t node_ethertype(const uint8_t *f, size_t len)
{
    return len < NODE_ETH_HLEN ? 0 : (uint16_t)((f[12] << 8) | f[13]);
}

#endif
