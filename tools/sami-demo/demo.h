/* sami-demo: the seeds' scenarios run in-process on the simulator with the
 * real engines (node glue), on a fake clock. See docs/DEMO.md. */
#ifndef SAMI_DEMO_H
#define SAMI_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sami/node.h"
#include "sami/sim.h"

#define DEMO_NAME_MAX 32
#define DEMO_TYPES (SAMI_DI_TYPE_MAX + 1)
/* Largest --scale: VM numbers (up to 40 per copy) stay below 65536, so
 * every VM's MAC (two octets of its number) and addresses stay unique. */
#define DEMO_SCALE_MAX 1600
/* Largest --pods: 3 bridges each, every bridge peered with every other
 * (the fabric is a full mesh: pods * 3 * (pods * 3 - 1) / 2 links). The VM
 * numbers of all pods together obey DEMO_SCALE_MAX (scale * pods). */
#define DEMO_PODS_MAX 200

struct demo_opts {
    const char *scenario; /* NULL or "all" = every scenario */
    double loss;
    uint64_t seed;
    const char *pcap;
    int json;
    unsigned scale;
    unsigned pods;        /* copies of the scenario's topology in one fabric (1) */
};

/* Frames out of a node into the simulator. */
struct demo_tx {
    struct sami_sim *sim;
    int id;
};

struct demo_bridge {
    char name[DEMO_NAME_MAX]; /* "sw1" */
    char desc[64];            /* "Access Switch1" */
    struct sami_node *node;
    struct demo_tx tx;
    struct sami_bridge_ref ref;
    struct sami_xfer_bridge_id xid;
    int n_down;               /* downlink ports 1..n_down */
};

struct demo_hv {
    char name[DEMO_NAME_MAX]; /* "srv1a" */
    int bridge;
    int dl_port;              /* its port on the bridge */
    struct sami_node *node;
    struct demo_tx tx;
    int link;
};

/* A set of records of one VM at one moment. */
struct demo_recs {
    struct sami_di_record *r;
    size_t n, cap;
    sami_usec_t at;
};

enum demo_phase {
    PH_IDLE = 0,
    PH_PREPARED,   /* PREPARE sent by both hypervisors */
    PH_SUSPENDED,  /* SUSPENDED sent, waiting for the decision */
    PH_RESUMING,   /* PROCEED: RESUMED sent at the destination */
    PH_COMPLETING, /* RESUMED PROCEED: COMPLETED sent by both */
    PH_ABORTING,   /* ROLLBACK / TIMEOUT: ABORTED sent by both */
    PH_DONE
};

struct demo_vm {
    char name[DEMO_NAME_MAX]; /* "VM12" */
    int number;
    int hv;                   /* where it runs at the start */
    int dest_hv;              /* -1: it stays */
    int active;               /* not shut down at night */
    uint32_t di_types;
    uint64_t rng;
    struct sami_vdp_filter filt[2];
    struct sami_vdp_vsi vsi;
    struct sami_vm_id id;
    uint8_t ipv4[2][4];
    size_t n_ipv4;
    uint8_t mac[2][6];
    uint16_t vlan[2];
    size_t n_nics;
    /* migration */
    uint64_t mig_id;
    sami_usec_t t_start, precopy_us;
    int phase;
    int out_suspend, out_resume, out_complete_s, out_complete_d, out_abort_s, out_abort_d;
    sami_usec_t t_suspend, t_proceed;
    uint8_t n_res;
    struct sami_fb_result res[SAMI_SAMITLV_MAX_RESULTS];
    uint32_t mutations;
    struct demo_recs snap;    /* source store at SUSPENDED (movers) / at start (others) */
    /* verification */
    uint32_t moved[DEMO_TYPES], installed[DEMO_TYPES];
    uint32_t lost, dup, left, extra, changed;
    uint32_t skew_ms;         /* largest timer deviation at the destination */
    const char *verdict;      /* "moved", "rolled-back", "FAILED" */
    int ok;
};

struct demo_stats {
    uint64_t frames, bytes, ecp_frames, xfer_frames, lost, dup, reordered;
    uint64_t ecp_retries, xfer_retransmits, link_retx, notif_rtx;
    uint64_t fb_riding, fb_standalone, notif_riding, notif_standalone;
};

struct demo_world;

/* A scenario: builds the topology, the VMs and their DI. */
struct demo_scenario {
    const char *name;
    const char *title;
    const char *source;  /* which seed, which figures */
    void (*build)(struct demo_world *w);
    /* DI for one VM, put into its bridge's store at time 0 */
    void (*gen)(struct demo_world *w, struct demo_vm *vm);
    /* One learner change during the pre-copy (DHCP renew, new session...) */
    void (*mutate)(struct demo_world *w, struct demo_vm *vm, sami_usec_t now);
    sami_usec_t fabric_delay_us; /* bridge to bridge, one way */
};

struct demo_world {
    const struct demo_opts *o;
    const struct demo_scenario *sc;
    struct sami_sim *sim;
    struct demo_bridge *br;
    size_t nbr;
    struct demo_hv *hv;
    size_t nhv;
    struct demo_vm *vm;
    size_t nvm, vm_cap;
    uint64_t key_seed;
    int errors;               /* setup or engine errors (printed) */
    struct demo_stats st;
    unsigned pod;             /* the pod being built (names get a "pN-" prefix) */
    size_t cross_pod;         /* migrations whose destination is in another pod */
    struct demo_vm **by_mig;  /* movers sorted by migration id (verdict lookup) */
    size_t n_by_mig;
    FILE *pcap;
    sami_usec_t pcap_epoch;   /* added to simulated time in the capture */
};

extern const struct demo_scenario demo_scenarios[];
extern const size_t demo_n_scenarios;

/* Topology builders (scenario code). */
int demo_add_bridge(struct demo_world *w, const char *name, const char *desc);
int demo_add_hv(struct demo_world *w, const char *name, int bridge);
struct demo_vm *demo_add_vm(struct demo_world *w, int number, int hv, int dest_hv, int active);

/* Sets a VM's NICs (MACs derived from its number), addresses and the VDP
 * VSI (identity + MAC/VLAN filters) that names it. */
void demo_vm_net(struct demo_vm *vm, size_t nics, const uint16_t vlan[], const uint8_t ip[][4]);

/* Deterministic randomness per VM (splitmix64). */
uint64_t demo_rand(uint64_t *state);
uint32_t demo_rand_range(uint64_t *state, uint32_t lo, uint32_t hi); /* [lo, hi] */

/* Learners: records into the VM's current bridge. */
void demo_put(struct demo_world *w, struct demo_vm *vm, sami_usec_t now,
              const struct sami_di_record *rec);
void demo_del(struct demo_world *w, struct demo_vm *vm, sami_usec_t now,
              const struct sami_di_record *rec);
/* A random live record of vm of this type (0 if none). */
int demo_pick(struct demo_world *w, struct demo_vm *vm, sami_usec_t now, uint8_t type,
              struct sami_di_record *out);

/* Runs one scenario; returns 0 when every check passed, 1 when one failed,
 * 2 on a setup error. pcap_clock: where this scenario starts in the
 * capture's time line (advanced past its end). */
int demo_run(const struct demo_opts *o, const struct demo_scenario *sc, FILE *pcap,
             sami_usec_t *pcap_clock, FILE *out, int *first_json);

#endif
