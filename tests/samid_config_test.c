/* samid foundations: the configuration file (tools/samid/config.c) and the
 * DI preload file (tools/samid/preload.c). The documented examples load;
 * every mistake is reported with its file, line (and column) and key. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "preload.h"
#include "sami/memstore.h"

#ifndef SAMI_SOURCE_DIR
#define SAMI_SOURCE_DIR "."
#endif

static char tmpdir[256];
static char conf_path[300];

static int make_tmpdir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/samid-config-test.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(conf_path, sizeof conf_path, "%s/samid.conf", tmpdir);
    return 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char p[400];
    static const char *const files[] = {"samid.conf", "preload.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, files[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Loads text as <tmpdir>/samid.conf; *msg points after "<tmpdir>/". */
static int load_text(const char *text, struct samid_config *cfg, char *err, size_t errlen,
                     const char **msg)
{
    write_file(conf_path, text);
    int rc = samid_config_load(conf_path, cfg, err, errlen);
    size_t n = strlen(tmpdir);
    *msg = strncmp(err, tmpdir, n) == 0 && err[n] == '/' ? err + n + 1 : err;
    return rc;
}

#define BASE "bridge {\n  id = \"8000:02:53:4d:00:00:01\"\n}\ndownlink \"eth1\" {\n  policy = accept-all\n}\n"
/* BASE is lines 1..6. */

static const char *const HEX32 =
    "5c0f7a1e93b24d68a0c1e7f2b9d84a36e1f05b7c2d9a8e43b6c7f0a1d2e3b4c5";
static const char *const HEX32B =
    "c4d1e8f70a92b35c6e1d0f4a7b28c9e3d5a6b7c8e9f0a1b2c3d4e5f6a7b8c9d0";

/* ---- the documented examples --------------------------------------------- */

static void test_example_config(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512];
    int rc = samid_config_load(SAMI_SOURCE_DIR "/tools/samid/samid.conf.example", &c, err,
                               sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.bridge.id.priority, 0x8000);
    assert_memory_equal(c.bridge.id.mac, ((const uint8_t[6]){2, 0x53, 0x4d, 0, 0, 1}), 6);
    assert_string_equal(c.bridge.name, "tor-rack1-a");
    assert_memory_equal(c.bridge.chassis_id, c.bridge.id.mac, 6);
    assert_memory_equal(c.bridge.oui, ((const uint8_t[3]){0x0a, 0x53, 0x4d}), 3);

    assert_int_equal(c.n_downlinks, 2);
    const struct samid_downlink *d = &c.downlinks[0];
    assert_string_equal(d->ifname, "eth1");
    assert_int_equal(d->vdp.r, 3);
    assert_int_equal(d->vdp.rte, 8);
    assert_int_equal(d->vdp.rwd, 20);
    assert_int_equal(d->vdp.rka, 20);
    assert_int_equal(d->max_vsis, 256);
    assert_int_equal(d->policy, SAMID_POLICY_ACCEPT_LIST);
    assert_int_equal(d->n_accept_types, 3);
    assert_int_equal(d->accept_types[0], 0xa1b2);
    assert_int_equal(d->accept_types[1], 51966);
    assert_int_equal(d->accept_types[2], 7);
    assert_true(d->line > 0);
    assert_int_equal(d->group_id, 1);
    assert_string_equal(c.downlinks[1].ifname, "eth2");
    assert_int_equal(c.downlinks[1].policy, SAMID_POLICY_ACCEPT_ALL);
    assert_int_equal(c.downlinks[1].vdp.rte, 8);

    assert_string_equal(c.transfer.listen, "::");
    assert_int_equal(c.transfer.port, 5757);
    assert_int_equal(c.transfer.binding, SAMI_XFER_BIND_STREAM);
    assert_int_equal(c.transfer.mtu, 1500);
    assert_string_equal(c.transfer.interface, "eth9");
    assert_true(c.transfer.tcp_used);
    assert_true(c.transfer.l2_used);

    assert_int_equal(c.n_peers, 2);
    assert_int_equal(c.peers[0].binding, SAMI_XFER_BIND_STREAM);
    assert_string_equal(c.peers[0].host, "192.0.2.2");
    assert_int_equal(c.peers[0].port, 5757);
    assert_string_equal(c.peers[0].name, "tor-rack1-b");
    assert_memory_equal(c.peers[0].chassis_id, ((const uint8_t[6]){2, 0x53, 0x4d, 0, 0, 2}), 6);
    assert_int_equal(c.peers[1].binding, SAMI_XFER_BIND_L2);
    assert_memory_equal(c.peers[1].l2_mac, c.peers[1].id.mac, 6);
    assert_null(c.peers[1].host);

    assert_int_equal(c.n_keys, 2);
    assert_int_equal(c.tx_key_id, 1);
    assert_int_equal(c.keys[0].key.id, 1);
    assert_int_equal(c.keys[0].key.len, 32);
    assert_int_equal(c.keys[0].key.bytes[0], 0xaa);
    assert_true(c.keys[0].tx);
    assert_true(c.keys[0].has_not_before && c.keys[0].has_not_after);
    assert_int_equal(c.keys[0].not_before, 1767225600);
    assert_int_equal(c.keys[0].not_after, 1798761600);
    assert_int_equal(c.keys[1].key.id, 2);
    assert_int_equal(c.keys[1].key.len, 32);
    assert_int_equal(c.keys[1].key.bytes[0], 0xbe);
    assert_false(c.keys[1].tx);
    assert_int_equal(c.keys[1].not_before, 1796079600); /* +01:00 */
    assert_false(c.keys[1].has_not_after);

    assert_int_equal(c.limits.records_per_migration, 100000);
    assert_int_equal(c.limits.records_total, 1000000);
    assert_int_equal(c.limits.migrations, 64);
    assert_int_equal(c.limits.vsis_per_port, 256);
    assert_int_equal(c.limits.pending_frames, 64);
    assert_int_equal(c.limits.migrations_per_port, 16);
    assert_int_equal(c.deadlines.prepare_ms, 120000);
    assert_int_equal(c.deadlines.commit_ms, 5000);
    assert_int_equal(c.deadlines.activate_ms, 30000);
    assert_int_equal(c.deadlines.purge_ms, 10000);
    assert_int_equal(c.deadlines.margin_ms, 500);
    assert_int_equal(c.deadlines.resolve_ms, 600000);
    assert_string_equal(c.preload, SAMI_SOURCE_DIR "/tools/samid/preload.example");
    assert_int_equal(c.log_level, SAMID_LOG_INFO);
    assert_string_equal(c.control_socket, "/run/samid.sock");
    /* the two example secrets are public: warned about */
    assert_int_equal(c.n_warnings, 2);
    assert_non_null(strstr(c.warnings[0], "samid.conf.example:104: key 1: this secret is published"));
    samid_config_free(&c);
    samid_config_free(&c); /* twice is fine */
}

static void *m_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void m_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static struct sami_memstore *new_store(uint32_t max_records)
{
    struct sami_memstore_config cfg = {.alloc = {m_alloc, m_free, NULL}, .max_records = max_records};
    struct sami_memstore *ms = NULL;
    assert_int_equal(sami_memstore_create(&cfg, &ms), 0);
    return ms;
}

static const struct sami_vm_id VM1 = {
    .id_format = 5,
    .id = {0x6b, 0x1e, 0x5a, 0x6e, 0x2f, 0x3c, 0x4d, 0x5e, 0x9f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};

static int find_acl(void *arg, const struct sami_di_record *r)
{
    struct sami_di_record *out = arg;
    if (r->type == SAMI_DI_ACL && r->u.acl.rule_id == 8)
        *out = *r;
    if (r->type == SAMI_DI_FIREWALL && (r->u.firewall.flags & SAMI_DI_FW_F_NAT))
        out[1] = *r;
    return 0;
}

static void test_example_preload(void **state)
{
    (void)state;
    struct sami_memstore *ms = new_store(0);
    struct sami_store st = sami_memstore_store(ms);
    struct samid_preload_stats stats;
    char err[512];
    sami_usec_t now = SAMI_SEC(100);
    int rc = samid_preload_load(SAMI_SOURCE_DIR "/tools/samid/preload.example", &st, now, &stats,
                                err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(stats.records, 13);
    static const uint32_t want[SAMI_STORE_COUNTS] = {13, 2, 1, 1, 1, 2, 2, 2, 2};
    for (int t = 0; t < SAMI_STORE_COUNTS; t++)
        assert_int_equal(stats.per_type[t], want[t]);
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(sami_store_count(&st, &VM1, per), 12);
    for (int t = 1; t < SAMI_STORE_COUNTS; t++)
        assert_int_equal(per[t], t == SAMI_DI_DHCP ? 1 : want[t]);

    /* a few fields, as stored */
    struct sami_di_record k, r;
    memset(&k, 0, sizeof k);
    k.type = SAMI_DI_DHCP;
    k.version = 1;
    k.u.dhcp.vlan = 100;
    memcpy(k.u.dhcp.ipv4, ((const uint8_t[4]){192, 0, 2, 10}), 4);
    assert_int_equal(sami_store_get(&st, &VM1, &k, now + SAMI_SEC(600), &r), 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3000000);
    assert_memory_equal(r.u.dhcp.mac, ((const uint8_t[6]){0x52, 0x54, 0, 0x12, 0x34, 0x56}), 6);

    struct sami_di_record found[2];
    memset(found, 0, sizeof found);
    assert_int_equal(sami_store_foreach(&st, &VM1, now, find_acl, found), 0);
    const struct sami_di_acl *a = &found[0].u.acl;
    assert_int_equal(a->action, SAMI_DI_ACL_RATE_LIMIT);
    assert_int_equal(a->rate_kbps, 10000);
    assert_int_equal(a->origin, SAMI_DI_ACL_RADIUS);
    assert_int_equal(a->src_prefix_len, 32);
    assert_int_equal(a->src[0], 0x20);
    assert_int_equal(a->dst_prefix_len, 0);
    assert_int_equal(a->protocol, 6);
    assert_int_equal(a->dst_port_lo, 80);
    assert_int_equal(a->dst_port_hi, 443);
    assert_int_equal(a->src_port_lo, 0);
    assert_int_equal(a->src_port_hi, 65535);
    assert_int_equal(a->flags, SAMI_DI_ACL_F_MATCH_VLAN | SAMI_DI_ACL_F_MATCH_MAC);
    assert_int_equal(a->lifetime_remaining_ms, SAMI_DI_INFINITE);
    const struct sami_di_firewall *f = &found[1].u.firewall;
    assert_int_equal(f->family, SAMI_DI_FAMILY_IPV4);
    assert_int_equal(f->protocol, 17);
    assert_int_equal(f->state, SAMI_DI_FW_ASSURED);
    assert_int_equal(f->nat_src_port, 61000);
    assert_int_equal(f->nat_src[15], 1);
    assert_int_equal(f->nat_src[10], 0xff);
    assert_int_equal(f->expiry_remaining_ms, 150000);
    assert_int_equal(f->created_age_ms, 30000);
    sami_memstore_destroy(ms);
}

/* The example config's store { preload } is the example preload file. */
static void test_example_config_preload(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512];
    assert_int_equal(samid_config_load(SAMI_SOURCE_DIR "/tools/samid/samid.conf.example", &c, err,
                                       sizeof err), 0);
    struct sami_memstore *ms = new_store(0);
    struct sami_store st = sami_memstore_store(ms);
    assert_int_equal(samid_preload_load(c.preload, &st, 0, NULL, err, sizeof err), 0);
    samid_config_free(&c);
    sami_memstore_destroy(ms);
}

/* ---- defaults ------------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512];
    const char *msg;
    int rc = load_text("bridge {\n  id = 800002534d000001\n}\ndownlink \"eth1\" {\n}\n", &c, err,
                       sizeof err, &msg);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.bridge.id.priority, 0x8000);
    assert_memory_equal(c.bridge.chassis_id, c.bridge.id.mac, 6);
    assert_string_equal(c.bridge.name, "");
    assert_memory_equal(c.bridge.oui, ((const uint8_t[3]){0x0a, 0x53, 0x4d}), 3);
    const struct samid_downlink *d = &c.downlinks[0];
    assert_int_equal(d->policy, SAMID_POLICY_REJECT_ALL);
    assert_int_equal(d->vdp.r, 3);
    assert_int_equal(d->vdp.rte, 8);
    assert_int_equal(d->vdp.rwd, 20);
    assert_int_equal(d->vdp.rka, 20);
    assert_int_equal(d->max_vsis, SAMID_DEFAULT_VSIS_PER_PORT);
    assert_int_equal(d->n_accept_types, 0);
    assert_int_equal(d->group_id, 1); /* EVB BGID announced */
    assert_string_equal(c.transfer.listen, "::");
    assert_int_equal(c.transfer.port, 5757);
    assert_int_equal(c.transfer.binding, SAMI_XFER_BIND_STREAM);
    assert_int_equal(c.transfer.mtu, 1500);
    assert_string_equal(c.transfer.interface, "");
    assert_int_equal(c.n_peers, 0);
    assert_int_equal(c.n_keys, 0);
    assert_int_equal(c.tx_key_id, 0);
    assert_int_equal(c.limits.records_per_migration, SAMID_DEFAULT_RECORDS_PER_MIGRATION);
    assert_int_equal(c.limits.records_total, SAMID_DEFAULT_RECORDS_TOTAL);
    assert_int_equal(c.limits.migrations, SAMID_DEFAULT_MIGRATIONS);
    assert_int_equal(c.limits.pending_frames, SAMID_DEFAULT_PENDING_FRAMES);
    assert_int_equal(c.limits.migrations_per_port, SAMID_DEFAULT_MIGRATIONS_PER_PORT);
    assert_int_equal(c.deadlines.prepare_ms, 120000);
    assert_int_equal(c.deadlines.commit_ms, 5000);
    assert_int_equal(c.deadlines.activate_ms, 30000);
    assert_int_equal(c.deadlines.purge_ms, 10000);
    assert_int_equal(c.deadlines.margin_ms, 500);
    assert_int_equal(c.deadlines.resolve_ms, SAMID_DEFAULT_RESOLVE_MS);
    assert_null(c.preload);
    assert_int_equal(c.log_level, SAMID_LOG_INFO);
    assert_string_equal(c.control_socket, SAMID_DEFAULT_CONTROL_SOCKET);
    /* no policy: refused, with a clear warning at the downlink; no peer */
    assert_int_equal(c.n_warnings, 2);
    char want[600];
    snprintf(want, sizeof want,
             "%s:4: downlink eth1: no policy: every VSI association on it is refused (reject-all); "
             "set policy = accept-all or accept-list",
             conf_path);
    assert_string_equal(c.warnings[0], want);
    assert_non_null(strstr(c.warnings[1], "no peer"));
    samid_config_free(&c);
}

/* migrations-per-port: its default follows a lower limits.migrations. */
static void test_migrations_per_port_default(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512];
    const char *msg;
    int rc = load_text("bridge {\n  id = 800002534d000001\n}\ndownlink \"eth1\" {\n}\n"
                       "limits {\n  migrations = 4\n}\n",
                       &c, err, sizeof err, &msg);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.limits.migrations, 4);
    assert_int_equal(c.limits.migrations_per_port, 4);
    samid_config_free(&c);
}

/* One key, no tx: it is the tx key. Peers and keys together. */
static void test_single_key_is_tx(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512], text[2048];
    const char *msg;
    snprintf(text, sizeof text,
             BASE "peer \"8000:02:53:4d:00:00:02\" {\n  address = \"[2001:db8::2]:6000\"\n}\n"
                  "peer \"8000:02:53:4d:00:00:03\" {\n  address = host-b.example\n}\n"
                  "key 7 {\n  secret = %s\n}\n",
             HEX32);
    int rc = load_text(text, &c, err, sizeof err, &msg);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.tx_key_id, 7);
    assert_true(c.keys[0].tx);
    assert_string_equal(c.peers[0].host, "2001:db8::2");
    assert_int_equal(c.peers[0].port, 6000);
    assert_string_equal(c.peers[1].host, "host-b.example");
    assert_int_equal(c.peers[1].port, 5757);
    assert_int_equal(c.n_warnings, 0);

    /* keyring in the engine's clock */
    struct sami_xfer_keyring kr;
    uint16_t tx;
    samid_config_keyring(&c, 1000, 5000, &kr, &tx);
    assert_int_equal(tx, 7);
    assert_int_equal(kr.keys[0].id, 7);
    assert_int_equal(kr.keys[0].not_before_ms, 0);
    assert_int_equal(kr.keys[0].not_after_ms, 0);
    assert_int_equal(kr.keys[1].id, 0);
    samid_config_free(&c);
}

static void test_keyring_validity(void **state)
{
    (void)state;
    struct samid_config c;
    memset(&c, 0, sizeof c);
    c.n_keys = 2;
    c.tx_key_id = 2;
    c.keys[0].key.id = 1;
    c.keys[0].has_not_after = 1;
    c.keys[0].not_after = 900; /* already over */
    c.keys[1].key.id = 2;
    c.keys[1].has_not_before = 1;
    c.keys[1].not_before = 1100; /* 100 s from now */
    c.keys[1].has_not_after = 1;
    c.keys[1].not_after = 2000;
    struct sami_xfer_keyring kr;
    uint16_t tx;
    samid_config_keyring(&c, 1000, 5000, &kr, &tx);
    assert_int_equal(tx, 2);
    assert_int_equal(kr.keys[0].not_before_ms, 0);
    assert_int_equal(kr.keys[0].not_after_ms, 1);
    assert_int_equal(kr.keys[1].not_before_ms, 105000);
    assert_int_equal(kr.keys[1].not_after_ms, 1005000);
}

/* ---- every error names file:line and key --------------------------------- */

struct bad_case {
    const char *text; /* after BASE unless it starts with '!' (whole file) */
    const char *want; /* message after "<tmpdir>/" */
};

static const struct bad_case bad_cases[] = {
    /* syntax and unknown keys (libconfuse) */
    {"transfer {\n  prot = 5757\n}\n", "samid.conf:8: in transfer: no such option 'prot'"},
    {"bogus = 1\n", "samid.conf:7: no such option 'bogus'"},
    {"transfer {\n  port = 5757\n", "samid.conf:7: this '{' is never closed"},
    {"transfer {\n  port = 5757\n}\n}\n", "samid.conf:10: unexpected closing brace"},
    {"transfer {\n  port 5757\n}\n", "samid.conf:8: in transfer: missing equal sign after option 'port'"},
    {"key 3 {\n", "samid.conf:7: this '{' is never closed"},
    {"transfer {\n  listen = \"::\n}\n", "samid.conf:8: this quote is never closed"},
    {"log {\n  level = info\n}\n/* the end\n", "samid.conf:10: this comment is never closed"},
    {"!", "samid.conf: key 'id' in bridge: missing: every bridge needs its bridge id "
          "(priority:MAC, e.g. 8000:02:53:4d:00:00:01)"},
    /* comments do not shift line numbers (libconfuse 3.3 counts them twice) */
    {"# one\n// two\n/* three\n four */ transfer { # five\n  port = 0 # six\n}\n",
     "samid.conf:11: key 'port' in transfer: '0' is not a whole number in 1..65535"},
    {"transfer {\n  listen = \"# not a comment\"\n}\n",
     "samid.conf:8: key 'listen' in transfer: '# not a comment' is not an IPv4 or IPv6 address (a "
     "name is not allowed: use 0.0.0.0 or :: for every address)"},
    {"transfer {\n  port = 1\n  port = 2\n}\n",
     "samid.conf:9: key 'port' in transfer: given twice (first at line 8)"},
    {"downlink \"eth1\" {\n}\n", "samid.conf:7: found duplicate title 'eth1'"},
    /* values */
    {"transfer {\n  port = 70000\n}\n",
     "samid.conf:8: key 'port' in transfer: '70000' is not a whole number in 1..65535"},
    {"transfer {\n  port = -1\n}\n",
     "samid.conf:8: key 'port' in transfer: '-1' is not a whole number in 1..65535"},
    {"transfer {\n  binding = udp\n}\n",
     "samid.conf:8: key 'binding' in transfer: 'udp' is not tcp or l2"},
    {"transfer {\n  listen = localhost\n}\n",
     "samid.conf:8: key 'listen' in transfer: 'localhost' is not an IPv4 or IPv6 address (a name "
     "is not allowed: use 0.0.0.0 or :: for every address)"},
    {"transfer {\n\n  mtu = 9000\n}\n",
     "samid.conf:9: key 'mtu' in transfer: '9000' is not a whole number in 128..1500"},
    {"downlink \"eth2\" {\n  rte = 32\n}\n",
     "samid.conf:8: key 'rte' in downlink eth2: '32' is not a whole number in 0..31"},
    {"downlink \"eth2\" {\n  rka = 31\n  r = 8\n}\n",
     "samid.conf:9: key 'r' in downlink eth2: '8' is not a whole number in 0..7"},
    {"downlink \"eth2\" {\n  policy = accept-all\n  group-id = sometimes\n}\n",
     "samid.conf:9: key 'group-id' in downlink eth2: 'sometimes' is not true or false"},
    {"downlink \"eth2\" {\n  mode = uplink\n}\n",
     "samid.conf:8: key 'mode' in downlink eth2: 'uplink': only station-facing (hypervisors behind "
     "the port) is supported"},
    {"downlink \"eth2\" {\n  policy = accept-some\n}\n",
     "samid.conf:8: key 'policy' in downlink eth2: 'accept-some' is not accept-all, accept-list or "
     "reject-all"},
    {"downlink \"eth2\" {\n  policy = accept-list\n}\n",
     "samid.conf:8: key 'policy' in downlink eth2: accept-list needs accept-types = { TYPE-ID, ... }"},
    {"downlink \"eth2\" {\n  policy = accept-all\n  accept-types = {1}\n}\n",
     "samid.conf:9: key 'accept-types' in downlink eth2: only used with policy = accept-list"},
    {"downlink \"eth2\" {\n  policy = accept-list\n  accept-types = {1,\n 2,\n 0x1000000}\n}\n",
     "samid.conf:11: key 'accept-types' in downlink eth2: '0x1000000' is not a VSI type id "
     "(0..16777215, or 0x hex)"},
    {"downlink \"eth2\" {\n  max-vsis = 300\n}\n",
     "samid.conf:8: key 'max-vsis' in downlink eth2: 300 is above limits.vsis-per-port (256)"},
    {"downlink \"a/b\" {\n  policy = reject-all\n}\n",
     "samid.conf:7: downlink a/b: 'a/b' is not an interface name (1..15 characters, no '/', ':' or "
     "spaces)"},
    {"limits {\n  records-per-migration = 5000\n  records-total = 4000\n}\n",
     "samid.conf:9: key 'records-total' in limits: records-total (4000) below records-per-migration "
     "(5000): no migration could reach its own limit"},
    {"limits {\n  migrations = 0\n}\n",
     "samid.conf:8: key 'migrations' in limits: '0' is not a whole number in 1..65535"},
    {"limits {\n  migrations = 8\n  migrations-per-port = 9\n}\n",
     "samid.conf:9: key 'migrations-per-port' in limits: 9 is above limits.migrations (8)"},
    {"limits {\n  migrations-per-port = 0\n}\n",
     "samid.conf:8: key 'migrations-per-port' in limits: '0' is not a whole number in 1..65535"},
    {"deadlines {\n  commit = 5s\n}\n",
     "samid.conf:8: key 'commit' in deadlines: '5s' is not a whole number in 1..86400000"},
    {"log {\n  level = verbose\n}\n",
     "samid.conf:8: key 'level' in log: 'verbose' is not error, warn, info or debug"},
    {"control {\n  socket = samid.sock\n}\n",
     "samid.conf:8: key 'socket' in control: 'samid.sock' is not an absolute path"},
    {"store {\n  preload = \"\"\n}\n", "samid.conf:8: key 'preload' in store: empty path"},
    /* bridge */
    {"!downlink \"eth1\" {\n}\n",
     "samid.conf: key 'id' in bridge: missing: every bridge needs its bridge id (priority:MAC, "
     "e.g. 8000:02:53:4d:00:00:01)"},
    {"!bridge {\n  id = 8000:02:53:4d:00:01\n}\n",
     "samid.conf:2: key 'id' in bridge: '8000:02:53:4d:00:01' is not a bridge id (priority:MAC as "
     "8000:02:53:4d:00:00:01, or 16 hex digits)"},
    {"!bridge {\n  id = 8000:03:53:4d:00:00:01\n}\n",
     "samid.conf:2: key 'id' in bridge: the MAC of a bridge id must be a unicast, non-zero MAC"},
    {"!bridge {\n  id = 8000:02:53:4d:00:00:01\n  oui = 0A-53\n}\n",
     "samid.conf:3: key 'oui' in bridge: '0A-53' is not an OUI (0A-53-4D)"},
    {"!bridge {\n  id = 8000:02:53:4d:00:00:01\n  chassis-id = 01:80:c2:00:00:0e\n}\n",
     "samid.conf:3: key 'chassis-id' in bridge: 01:80:c2:00:00:0e is a multicast MAC: a chassis "
     "id is a unicast MAC"},
    {"!bridge {\n  id = 8000:02:53:4d:00:00:01\n}\n",
     "samid.conf: no downlink section: samid needs at least one station-facing port (downlink "
     "\"eth1\" { ... })"},
    /* peers */
    {"peer \"8000:02:53:4d:00:00:02\" {\n  name = b\n}\n",
     "samid.conf:7: peer 8000:02:53:4d:00:00:02: no address: TCP peers need address = "
     "\"HOST:PORT\" (or l2, with transfer.binding = l2)"},
    {"peer \"8000:02:53:4d:00:00:01\" {\n  address = l2\n}\n",
     "samid.conf:7: peer 8000:02:53:4d:00:00:01: this is our own bridge id (bridge.id)"},
    {"peer \"bridge-b\" {\n  address = l2\n}\n",
     "samid.conf:7: peer bridge-b: the title is not a bridge id (peer \"8000:02:53:4d:00:00:02\")"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = \"2001:db8::2:5757\"\n}\n",
     "samid.conf:8: key 'address' in peer 8000:02:53:4d:00:00:02: '2001:db8::2:5757': an IPv6 "
     "address goes in brackets: [2001:db8::2]:5757 (HOST:PORT, [IPV6]:PORT, l2 or l2:MAC)"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = \"b:0\"\n}\n",
     "samid.conf:8: key 'address' in peer 8000:02:53:4d:00:00:02: 'b:0': the port is not a number "
     "in 1..65535 (HOST:PORT, [IPV6]:PORT, l2 or l2:MAC)"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = l2\n}\n",
     "samid.conf: key 'interface' in transfer: missing: L2 peers need the interface transfer "
     "frames use"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = b\n}\n"
     "peer \"9000:02:53:4d:00:00:02\" {\n  address = c\n}\n",
     "samid.conf:10: peer 9000:02:53:4d:00:00:02: its chassis id is also the peer's at line 7"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = b\n  chassis-id = 02:53:4d:00:00:01\n}\n",
     "samid.conf:9: key 'chassis-id' in peer 8000:02:53:4d:00:00:02: our own chassis id "
     "(bridge.chassis-id)"},
    {"peer \"8000:02:53:4d:00:00:02\" {\n  address = b\n}\n",
     "samid.conf: no key section: transfers with peers are authenticated (key 1 { secret = ... })"},
    /* keys */
    {"key 2 {\n  secret = 00112233445566778899aabbccddee\n}\n",
     "samid.conf:8: key 'secret' in key 2: not hex or base64 of >= 16 octets (make one with: head "
     "-c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  secret = \"correct horse battery staple\"\n}\n",
     "samid.conf:8: key 'secret' in key 1: not hex or base64 of >= 16 octets (make one with: head "
     "-c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  secret = passwordpasswordpassword\n}\n",
     "samid.conf:8: key 'secret' in key 1: looks like a password, not random bytes (one character "
     "class only) (make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  secret = \"UGFzc3dvcmQxMjM0NTY3ODkwIQ==\"\n}\n",
     "samid.conf:8: key 'secret' in key 1: decodes to printable text: an encoded password, not "
     "random bytes (make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  secret = 0badc0de0badc0de0badc0de0badc0de\n}\n",
     "samid.conf:8: key 'secret' in key 1: looks like a pattern, not random bytes (too many "
     "repeated octets) (make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  secret = 12345678901234567890123456789012\n}\n",
     "samid.conf:8: key 'secret' in key 1: looks like a password, not random bytes (one character "
     "class only) (make one with: head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')"},
    {"key 1 {\n  tx = true\n}\n",
     "samid.conf:7: key 1: no secret (secret = 64 hex digits or base64 of 32 random octets)"},
    {"key 0 {\n  secret = @HEX32\n}\n",
     "samid.conf:7: key 0: the key id (title) must be a number in 1..65535"},
    {"key 1 {\n  secret = @HEX32\n}\nkey 1 {\n  secret = @HEX32B\n}\n",
     "samid.conf:10: found duplicate title '1'"},
    {"key 1 {\n  secret = @HEX32\n}\nkey 01 {\n  secret = @HEX32B\n}\n",
     "samid.conf:10: key 01: duplicate key id 1 (also the key at line 7)"},
    {"key 1 {\n  secret = @HEX32\n}\nkey 2 {\n  secret = @HEX32\n}\n",
     "samid.conf:11: key 'secret' in key 2: the same secret as key 1: a new key needs new random "
     "octets"},
    {"key 1 {\n  secret = @HEX32\n  tx = yes\n}\nkey 2 {\n  secret = @HEX32B\n  tx = on\n}\n",
     "samid.conf:13: key 'tx' in key 2: key 1 is already the tx key (line 9): only one key signs "
     "what this bridge sends"},
    {"key 1 {\n  secret = @HEX32\n}\nkey 2 {\n  secret = @HEX32B\n}\n",
     "samid.conf:10: key 2: two keys and neither has tx = true: say which one signs"},
    {"key 1 {\n  secret = @HEX32\n  tx = maybe\n}\n",
     "samid.conf:9: key 'tx' in key 1: 'maybe' is not true or false"},
    {"key 1 {\n  secret = @HEX32\n  tx = true\n}\nkey 2 {\n  secret = @HEX32B\n}\nkey 3 {\n"
     "  secret = 0f1e2d3c4b5a69788796a5b4c3d2e1f0\n}\n",
     "samid.conf:14: key 3: a third key: at most 2 (the one in use, and its successor during a "
     "key roll)"},
    {"key 1 {\n  secret = @HEX32\n  not-before = 2026-01-01\n}\n",
     "samid.conf:9: key 'not-before' in key 1: '2026-01-01' is not an RFC 3339 time "
     "(2026-01-01T00:00:00Z)"},
    /* a quoted value spanning lines: the message stays one line */
    {"key 1 {\n  secret = @HEX32\n  tx = \"tr\nue\t\x01\"\n}\n",
     "samid.conf:10: key 'tx' in key 1: 'tr\\nue\\t\\x01' is not true or false"},
    {"key 1 {\n  secret = @HEX32\n  not-before = 2026-02-01T00:00:00Z\n"
     "  not-after = 2026-01-01T00:00:00Z\n}\n",
     "samid.conf:10: key 'not-after' in key 1: not after not-before: the key would never be valid"},
};

/* "@HEX32" / "@HEX32B" stand for the two good secrets. */
static void expand(const char *in, char *out, size_t n)
{
    out[0] = 0;
    while (*in) {
        const char *at = strchr(in, '@');
        if (!at) {
            strncat(out, in, n - strlen(out) - 1);
            break;
        }
        strncat(out, in, (size_t)(at - in) < n - strlen(out) - 1 ? (size_t)(at - in)
                                                                   : n - strlen(out) - 1);
        if (!strncmp(at, "@HEX32B", 7)) {
            strncat(out, HEX32B, n - strlen(out) - 1);
            in = at + 7;
        } else {
            strncat(out, HEX32, n - strlen(out) - 1);
            in = at + 6;
        }
    }
}

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char body[4096], text[4096], err[1024];
        expand(bad_cases[i].text[0] == '!' ? bad_cases[i].text + 1 : bad_cases[i].text, body,
               sizeof body);
        snprintf(text, sizeof text, "%s%s", bad_cases[i].text[0] == '!' ? "" : BASE, body);
        struct samid_config c;
        const char *msg;
        int rc = load_text(text, &c, err, sizeof err, &msg);
        if (rc != -1 || strcmp(msg, bad_cases[i].want) != 0)
            fail_msg("case %zu: rc %d\n  got:  %s\n  want: %s", i, rc, msg, bad_cases[i].want);
        /* nothing to free after a failure */
        assert_null(c.downlinks);
        assert_null(c.path);
        assert_int_equal(c.n_warnings, 0);
    }
}

static void test_missing_file(void **state)
{
    (void)state;
    struct samid_config c;
    char err[512];
    assert_int_equal(samid_config_load("/nonexistent/samid.conf", &c, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/samid.conf: cannot read: No such file or directory");
    assert_int_equal(samid_config_load(NULL, &c, err, sizeof err), -1);
    /* a tiny error buffer still terminates */
    char small[8];
    assert_int_equal(samid_config_load("/nonexistent/samid.conf", &c, small, sizeof small), -1);
    assert_int_equal(strlen(small), 7);
    samid_config_free(NULL);
}

/* ---- value parsers --------------------------------------------------------- */

static void test_parsers(void **state)
{
    (void)state;
    uint8_t mac[6];
    assert_int_equal(samid_parse_mac("02-53-4D-00-00-0a", mac), 0);
    assert_int_equal(mac[5], 0x0a);
    assert_int_equal(samid_parse_mac("02:53-4d:00:00:0a", mac), -1);
    assert_int_equal(samid_parse_mac("2:53:4d:00:00:0a", mac), -1);
    assert_int_equal(samid_parse_mac("02:53:4d:00:00:0g", mac), -1);

    struct sami_xfer_bridge_id id;
    assert_int_equal(samid_parse_bridge_id("ffff:02:53:4d:00:00:01", &id), 0);
    assert_int_equal(id.priority, 0xffff);
    assert_int_equal(samid_parse_bridge_id("123402534d000001", &id), 0);
    assert_int_equal(id.priority, 0x1234);
    assert_int_equal(id.mac[0], 2);
    assert_int_equal(samid_parse_bridge_id("8000.02:53:4d:00:00:01", &id), -1);
    assert_int_equal(samid_parse_bridge_id("12340253 4d000001", &id), -1);

    int64_t t;
    assert_int_equal(samid_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(samid_parse_rfc3339("2024-02-29T12:34:56.789Z", &t), 0);
    assert_int_equal(t, 1709210096);
    assert_int_equal(samid_parse_rfc3339("2024-02-29t12:34:56-05:30", &t), 0);
    assert_int_equal(t, 1709210096 + 5 * 3600 + 1800);
    assert_int_equal(samid_parse_rfc3339("1969-12-31T23:59:59Z", &t), 0);
    assert_int_equal(t, -1);
    assert_int_equal(samid_parse_rfc3339("2023-02-29T00:00:00Z", &t), -1);
    assert_int_equal(samid_parse_rfc3339("2026-13-01T00:00:00Z", &t), -1);
    assert_int_equal(samid_parse_rfc3339("2026-01-01T24:00:00Z", &t), -1);
    assert_int_equal(samid_parse_rfc3339("2026-01-01T00:00:00", &t), -1);
    assert_int_equal(samid_parse_rfc3339("2026-01-01T00:00:00+0100", &t), -1);
    assert_int_equal(samid_parse_rfc3339("2026-01-01T00:00:00.Z", &t), -1);

    uint8_t k[SAMI_XFER_KEY_MAX];
    size_t n;
    const char *why;
    assert_int_equal(samid_parse_secret(HEX32, k, sizeof k, &n, &why), 0);
    assert_int_equal(n, 32);
    assert_int_equal(k[0], 0x5c);
    /* base64, padded or not, standard or URL-safe alphabet */
    assert_int_equal(samid_parse_secret("vmVhFiYV6J9mjSzvRCCaFEAuaIykPzoSOPcY37cNs2o=", k, sizeof k,
                                        &n, &why), 0);
    assert_int_equal(n, 32);
    assert_int_equal(k[0], 0xbe);
    assert_int_equal(samid_parse_secret("vmVhFiYV6J9mjSzvRCCaFEAuaIykPzoSOPcY37cNs2o", k, sizeof k,
                                        &n, &why), 0);
    assert_int_equal(samid_parse_secret("base64:-_8AAQIDBAUGBwgJCgsMDQ4PEBESExQV", k, sizeof k, &n,
                                        &why), 0);
    assert_int_equal(n, 24);
    assert_int_equal(k[0], 0xfb);
    /* non-canonical trailing bits, bad padding, stray characters */
    assert_int_equal(samid_parse_secret("vmVhFiYV6J9mjSzvRCCaFEAuaIykPzoSOPcY37cNs2p=", k, sizeof k,
                                        &n, &why), -1);
    assert_int_equal(samid_parse_secret("vmVhFiYV6J9mjSzvRCCaFEAuaIykPzoSOPcY37cNs2o===", k,
                                        sizeof k, &n, &why), -1);
    assert_int_equal(samid_parse_secret("vmVhFiYV6J9mjSzv RCCaFEAuaIykPzoSOPcY37cNs2o=", k, sizeof k,
                                        &n, &why), -1);
    /* "hex:" forces hex (this one would also be valid base64) */
    assert_int_equal(samid_parse_secret("hex:0f1e2d3c4b5a69788796a5b4c3d2e1f0", k, sizeof k, &n,
                                        &why), 0);
    assert_int_equal(n, 16);
    /* 65 octets */
    char longhex[140];
    for (int i = 0; i < 65; i++)
        snprintf(longhex + 2 * i, 3, "%02x", (unsigned)(i * 37 + 11) & 0xff);
    assert_int_equal(samid_parse_secret(longhex, k, sizeof k, &n, &why), -1);
    assert_string_equal(why, "longer than 64 octets");
    assert_int_equal(samid_parse_secret("", k, sizeof k, &n, &why), -1);
    assert_string_equal(why, "not hex or base64 of >= 16 octets");

    assert_string_equal(samid_policy_name(SAMID_POLICY_ACCEPT_LIST), "accept-list");
    assert_string_equal(samid_log_level_name(SAMID_LOG_DEBUG), "debug");
    assert_string_equal(samid_log_level_name(9), "unknown");
}

/* ---- preload: each mistake with line:column ---------------------------- */

#define UUID "6b1e5a6e-2f3c-4d5e-9f00-0123456789ab"

struct pl_case {
    const char *line;
    const char *at; /* the column reported is where this first occurs (NULL: the line's end) */
    const char *why;
};

#define SYNTAX                                                                                     \
    "expected: vm UUID TYPE key=value ... (TYPE: dhcp, dhcpv6, nd, dot1x, acl, igmp, counters, "   \
    "firewall)"
#define FW "vm " UUID " firewall proto=tcp src=10.0.0.1 sport=1 dst=10.0.0.2 dport=2 "

static const struct pl_case pl_bad[] = {
    {"vn " UUID " dhcp", "vn", SYNTAX},
    {"vm " UUID, NULL, SYNTAX},
    {"vm", NULL, SYNTAX},
    {"vm " UUID " lease=1h dhcp", "lease", SYNTAX},
    {"vm 6b1e5a6e-2f3c-4d5e-9f00-0123456789 dhcp", "6b1e",
     "'6b1e5a6e-2f3c-4d5e-9f00-0123456789' is not a VSI ID UUID "
     "(6b1e5a6e-2f3c-4d5e-9f00-0123456789ab)"},
    {"vm " UUID " dhcp4 ip=1.2.3.4", "dhcp4",
     "unknown DI type 'dhcp4' (dhcp, dhcpv6, nd, dot1x, acl, igmp, counters, firewall)"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100", "dhcp", "dhcp needs lease="},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=3600", "3600",
     "key 'lease': '3600' needs a unit (ms, s, m, h, d)"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=50d", "50d",
     "key 'lease': 50d is longer than 4294967294 ms (~49.7 days); say infinite"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=1x", "1x",
     "key 'lease': '1x' is not a duration (3600s, 500ms, 5m, 2h, 1d)"},
    {"vm " UUID " dhcp ip=2001:db8::1 mac=52:54:00:12:34:56 vlan=100 lease=1h", "2001",
     "key 'ip': dhcp needs an IPv4 address"},
    {"vm " UUID " dhcp ip=192.0.2.300 mac=52:54:00:12:34:56 vlan=100 lease=1h", "192",
     "key 'ip': '192.0.2.300' is not an IPv4 or IPv6 address"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34 vlan=100 lease=1h", "52:",
     "key 'mac': '52:54:00:12:34' is not a MAC address (52:54:00:12:34:56)"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=4095 lease=1h", "4095",
     "key 'vlan': 4095 is out of range 0..4094"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=x1 lease=1h", "x1",
     "key 'vlan': 'x1' is not a number"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=1h colour=red", "colour",
     "unknown key 'colour' for dhcp"},
    {"vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 leese=1h", "leese",
     "unknown key 'leese' for dhcp"},
    {"vm " UUID " dhcp ip=192.0.2.10 ip=192.0.2.11", "ip=192.0.2.11",
     "key 'ip' given twice on this line"},
    {"vm " UUID " dhcp ip=192.0.2.10 stray", "stray", "'stray': expected key=value"},
    {"vm " UUID " dhcp ip= mac=52:54:00:12:34:56", " mac", "key 'ip' has no value"},
    {"vm " UUID " dhcp =1", "=1", "'=' without a key before it"},
    {"vm " UUID " dot1x mac=52:54:00:12:34:56 authorized=yes session=1h identity=\"alice", "\"alice",
     "unterminated quoted value"},
    {"vm " UUID " dot1x mac=52:54:00:12:34:56 authorized=yes session=1h identity=\"a\\b\"",
     "\\b", "only \\\" and \\\\ are escapes in a quoted value"},
    {"vm " UUID " dot1x mac=52:54:00:12:34:56 authorized=maybe session=1h", "maybe",
     "key 'authorized': 'maybe' is not yes or no"},
    {"vm " UUID " dot1x mac=52:54:00:12:34:56 authorized=yes session=1h eap=kerberos", "kerberos",
     "key 'eap': 'kerberos' is not one of none, identity, md5, otp, gtc, tls, leap, sim, ttls, "
     "aka, peap, mschapv2, fast, psk, aka_prime, pwd, teap"},
    {"vm " UUID " acl rule=1 action=rate-limit lifetime=1m", "acl",
     "acl with action=rate-limit needs rate= (kbit/s)"},
    {"vm " UUID " acl rule=1 action=deny rate=5 lifetime=1m", "rate=",
     "key 'rate': only with action=rate-limit"},
    {"vm " UUID " acl rule=1 action=deny src=10.0.0.1/24 lifetime=1m", "10.0.0.1",
     "key 'src': 10.0.0.1/24 has host bits set"},
    {"vm " UUID " acl rule=1 action=deny src=10.0.0.0/33 lifetime=1m", "33",
     "key 'src': prefix length is not 0..32"},
    {"vm " UUID " acl rule=1 action=deny src=10.0.0.0/8 dst=2001:db8::/32 lifetime=1m", "2001",
     "key 'dst': not the address family of src"},
    {"vm " UUID " acl rule=1 action=permit dport=443-80 lifetime=1m", "443",
     "key 'dport': 443-80 runs backwards"},
    {"vm " UUID " acl rule=1 action=permit dport=1-70000 lifetime=1m", "70000",
     "key 'dport': 70000 is out of range 0..65535"},
    {"vm " UUID " acl rule=1 action=permit proto=ipx lifetime=1m", "ipx",
     "key 'proto': 'ipx' is not a protocol (tcp, udp, icmp, icmpv6, sctp, gre, esp or a number)"},
    {"vm " UUID " igmp group=192.0.2.1 vlan=1 timer=1m", "192",
     "key 'group': 192.0.2.1 is not a multicast address"},
    {"vm " UUID " igmp group=239.1.1.1 source=2001:db8::1 vlan=1 timer=1m", "2001",
     "key 'source': not the address family of group"},
    {"vm " UUID " counters dir=sideways", "sideways", "key 'dir': 'sideways' is not one of in, out"},
    {"vm " UUID " counters dir=in packets=18446744073709551616", "1844",
     "key 'packets': '18446744073709551616' is not a number"},
    {FW "state=est created=1s last=1s expiry=1m", "est",
     "key 'state': 'est' is not one of syn_sent, syn_recv, established, fin_wait, close_wait, "
     "time_wait, closed, new, assured"},
    {"vm " UUID " firewall proto=udp src=10.0.0.1 sport=1 dst=10.0.0.2 dport=2 state=established "
     "created=1s last=1s expiry=1m",
     "established", "key 'state': established is not a state of a non-tcp session (new, assured)"},
    {FW "state=established created=1s last=2s expiry=1m", "2s",
     "key 'last': heard before the session was created"},
    {FW "state=established created=infinite last=2s expiry=1m", "infinite",
     "key 'created': an age cannot be infinite"},
    {FW "state=established created=1s last=1s expiry=1m nat-src=10.9.9.9", "firewall",
     "NAT needs all of nat-src, nat-dst, nat-sport, nat-dport"},
    {FW "state=established created=1s last=1s expiry=1m nat-src=::1 nat-dst=10.0.0.3 nat-sport=1 "
        "nat-dport=2",
     "::1", "NAT addresses must be of the session's address family"},
    {"vm " UUID " firewall proto=tcp src=10.0.0.1 sport=1 dst=::2 dport=2", "::2",
     "key 'dst': not the address family of src"},
};

static void test_preload_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pl_bad / sizeof pl_bad[0]; i++) {
        struct sami_vm_id vm;
        struct sami_di_record rec;
        size_t col = 0;
        char why[400];
        int rc = samid_preload_parse_line(pl_bad[i].line, &vm, &rec, &col, why, sizeof why);
        const char *at = pl_bad[i].at ? strstr(pl_bad[i].line, pl_bad[i].at)
                                      : pl_bad[i].line + strlen(pl_bad[i].line);
        assert_non_null(at);
        size_t want_col = (size_t)(at - pl_bad[i].line) + 1;
        if (rc != -1 || col != want_col || strcmp(why, pl_bad[i].why))
            fail_msg("case %zu: rc %d col %zu (want %zu)\n  got:  %s\n  want: %s", i, rc, col,
                     want_col, why, pl_bad[i].why);
    }
    /* blank and comment lines */
    struct sami_vm_id vm;
    struct sami_di_record rec;
    size_t col;
    char why[200];
    assert_int_equal(samid_preload_parse_line("", &vm, &rec, &col, why, sizeof why), 0);
    assert_int_equal(samid_preload_parse_line("   \t\r\n", &vm, &rec, &col, why, sizeof why), 0);
    assert_int_equal(samid_preload_parse_line("  # vm x", &vm, &rec, &col, why, sizeof why), 0);
    /* a record with CRLF and a trailing comment; quoted strings keep spaces */
    assert_int_equal(samid_preload_parse_line(
                         "vm " UUID " dot1x mac=52:54:00:12:34:56 authorized=no eap=13 session=infinite "
                         "identity=\"a \\\"b\\\" c\" # x\r\n",
                         &vm, &rec, &col, why, sizeof why),
                     1);
    assert_int_equal(rec.type, SAMI_DI_DOT1X);
    assert_int_equal(rec.u.dot1x.eap_method, 13);
    assert_string_equal(rec.u.dot1x.identity, "a \"b\" c");
    assert_int_equal(rec.u.dot1x.identity_len, 7);
    assert_int_equal(rec.u.dot1x.session_remaining_ms, SAMI_DI_INFINITE);
    assert_int_equal(vm.id_format, 5);
    assert_int_equal(vm.id[15], 0xab);
    /* ND state default and IPv6 */
    assert_int_equal(samid_preload_parse_line("vm " UUID " nd ip=2001:db8::5 mac=52:54:00:12:34:56 "
                                              "vlan=7 lifetime=90s",
                                              &vm, &rec, &col, why, sizeof why),
                     1);
    assert_int_equal(rec.u.nd.state, SAMI_DI_ND_VALID);
    assert_int_equal(rec.u.nd.lifetime_remaining_ms, 90000);
    assert_int_equal(rec.u.nd.ipv6[15], 5);
}

/* Whole files: errors carry file:line:column; a bad last line stores nothing;
 * a store refusal names the refused line. */
static void test_preload_files(void **state)
{
    (void)state;
    char path[400], err[512];
    snprintf(path, sizeof path, "%s/preload.txt", tmpdir);
    const char *good = "# two bindings\n"
                       "vm " UUID " dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=1h\n"
                       "\n"
                       "vm " UUID " dhcp ip=192.0.2.11 mac=52:54:00:12:34:56 vlan=100 lease=1h\n";
    char text[2048];
    snprintf(text, sizeof text, "%svm " UUID " dhcp ip=192.0.2.12 mac=52:54:00:12:34:56 vlan=100 "
                                "lease=1\n", good);
    write_file(path, text);
    struct sami_memstore *ms = new_store(0);
    struct sami_store st = sami_memstore_store(ms);
    struct samid_preload_stats stats;
    assert_int_equal(samid_preload_load(path, &st, 0, &stats, err, sizeof err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:5:97: key 'lease': '1' needs a unit (ms, s, m, h, d)", path);
    assert_string_equal(err, want);
    assert_int_equal(sami_store_count(&st, &VM1, NULL), 0); /* nothing stored */

    write_file(path, good);
    assert_int_equal(samid_preload_load(path, &st, 0, &stats, err, sizeof err), 0);
    assert_int_equal(stats.lines, 4);
    assert_int_equal(stats.records, 2);
    assert_int_equal(stats.per_type[SAMI_DI_DHCP], 2);
    assert_int_equal(sami_store_count(&st, &VM1, NULL), 2);
    sami_memstore_destroy(ms);

    /* a store with room for one record refuses the second */
    ms = new_store(1);
    st = sami_memstore_store(ms);
    assert_int_equal(samid_preload_load(path, &st, 0, &stats, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:4:1: the store refused this record: %s", path,
             sami_strerror(SAMI_ERR_LIMIT));
    assert_string_equal(err, want);
    sami_memstore_destroy(ms);

    /* in-memory text, no trailing newline; a missing file */
    ms = new_store(0);
    st = sami_memstore_store(ms);
    const char *one = "vm " UUID " counters dir=out packets=5";
    assert_int_equal(samid_preload_text("mem", one, strlen(one), &st, 0, &stats, err, sizeof err), 0);
    assert_int_equal(stats.records, 1);
    assert_int_equal(samid_preload_text("mem", "x", 1, &st, 0, NULL, err, sizeof err), -1);
    assert_string_equal(err, "mem:1:1: expected: vm UUID TYPE key=value ... (TYPE: dhcp, dhcpv6, "
                             "nd, dot1x, acl, igmp, counters, firewall)");
    assert_int_equal(samid_preload_load("/nonexistent/preload", &st, 0, NULL, err, sizeof err), -1);
    assert_string_equal(err, "/nonexistent/preload: cannot read: No such file or directory");
    sami_memstore_destroy(ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_config),
        cmocka_unit_test(test_example_preload),
        cmocka_unit_test(test_example_config_preload),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_migrations_per_port_default),
        cmocka_unit_test(test_single_key_is_tx),
        cmocka_unit_test(test_keyring_validity),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_preload_lines),
        cmocka_unit_test(test_preload_files),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
