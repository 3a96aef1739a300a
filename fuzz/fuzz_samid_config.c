/* libFuzzer harness: samid's configuration parser (tools/samid/config.c,
 * libconfuse underneath) on arbitrary text.
 *
 * Input: the whole configuration file. It is written to an in-memory file
 * (memfd) and loaded by its /proc/self/fd path, as samid -c would.
 *
 * Invariants: samid_config_load returns 0 or -1; on -1 the message is
 * non-empty, "PATH:LINE: ..." or "PATH: ..." (docs/SAMID.md: a problem
 * names the file and, when it has one, the line) and the struct is left
 * cleared; on 0 the loaded fields are within their documented ranges and
 * every warning has the same form; samid_config_keyring works on the
 * result; samid_config_free frees everything (LeakSanitizer watches) and
 * may be called twice. Never a crash, hang or leak. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "config.h"

static int FD = -1;
static char PATH[64];

/* "PATH:" then digits and ": ", or "PATH: " (a problem of the whole file,
 * e.g. the "no peer" warning) */
static void check_msg(const char *msg)
{
    size_t pl = strlen(PATH);
    FUZZ_CHECK(msg[0] != 0);
    /* Not checked: that it is one line. libconfuse quotes what it read
     * ("no sub-section title/index for '...'"), newlines included, and
     * config.c passes that on (docs/FUZZING.md, observations). */
    FUZZ_CHECK(strncmp(msg, PATH, pl) == 0 && msg[pl] == ':');
    const char *p = msg + pl + 1;
    if (*p >= '0' && *p <= '9') {
        while (*p >= '0' && *p <= '9')
            p++;
        FUZZ_CHECK(p[0] == ':' && p[1] == ' ' && p[2] != 0);
    } else {
        FUZZ_CHECK(p[0] == ' ' && p[1] != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct samid_config cfg;
    char err[1024];

    if (FD < 0) {
        FD = memfd_create("samid.conf", 0);
        FUZZ_CHECK(FD >= 0);
        snprintf(PATH, sizeof PATH, "/proc/self/fd/%d", FD);
    }
    FUZZ_CHECK(ftruncate(FD, 0) == 0);
    if (size)
        FUZZ_CHECK(pwrite(FD, data, size, 0) == (ssize_t)size);

    memset(err, 'x', sizeof err);
    int rc = samid_config_load(PATH, &cfg, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
    if (rc == -1) {
        check_msg(err);
        /* nothing to free is left behind */
        FUZZ_CHECK(cfg.path == NULL && cfg.downlinks == NULL && cfg.peers == NULL &&
                   cfg.warnings == NULL);
        samid_config_free(&cfg);
        return 0;
    }
    FUZZ_CHECK(err[0] == 0);
    FUZZ_CHECK(cfg.path && strcmp(cfg.path, PATH) == 0);
    FUZZ_CHECK(cfg.n_downlinks >= 1 && cfg.n_downlinks <= SAMID_MAX_DOWNLINKS);
    FUZZ_CHECK(cfg.n_peers <= SAMID_MAX_PEERS && cfg.n_keys <= SAMI_XFER_MAX_KEYS);
    FUZZ_CHECK(cfg.n_keys > 0 || cfg.n_peers == 0);
    for (size_t i = 0; i < cfg.n_downlinks; i++) {
        const struct samid_downlink *d = &cfg.downlinks[i];
        FUZZ_CHECK(sami_vdp_sm_params_check(&d->vdp) == 0);
        FUZZ_CHECK(d->pvid <= 4094 && d->n_accept_types <= SAMID_MAX_ACCEPT_TYPES);
        FUZZ_CHECK(strlen(d->ifname) <= SAMID_IFNAME_MAX && d->ifname[0] != 0);
        for (size_t j = 0; j < d->n_accept_types; j++)
            FUZZ_CHECK(d->accept_types[j] <= 0xffffff);
    }
    for (size_t i = 0; i < cfg.n_keys; i++) {
        const struct sami_xfer_key *k = &cfg.keys[i].key;
        FUZZ_CHECK(k->id != 0 && k->len >= SAMI_XFER_KEY_MIN && k->len <= SAMI_XFER_KEY_MAX);
    }
    for (size_t i = 0; i < cfg.n_peers; i++) {
        const struct samid_peer *p = &cfg.peers[i];
        FUZZ_CHECK(p->binding == SAMI_XFER_BIND_STREAM || p->binding == SAMI_XFER_BIND_L2);
        if (p->binding == SAMI_XFER_BIND_STREAM)
            FUZZ_CHECK(p->host != NULL && p->host[0] != 0);
    }
    FUZZ_CHECK(cfg.transfer.mtu >= 128 && cfg.transfer.mtu <= 1500);
    for (size_t i = 0; i < cfg.n_warnings; i++)
        check_msg(cfg.warnings[i]);
    (void)samid_policy_name(cfg.downlinks[0].policy);
    (void)samid_log_level_name(cfg.log_level);

    struct sami_xfer_keyring kr;
    uint16_t tx = 0;
    samid_config_keyring(&cfg, 1800000000, 5000, &kr, &tx);
    FUZZ_CHECK(tx == cfg.tx_key_id);
    samid_config_free(&cfg);
    FUZZ_CHECK(cfg.path == NULL && cfg.downlinks == NULL);
    samid_config_free(&cfg); /* twice is fine */
    return 0;
}
