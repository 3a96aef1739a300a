/* sami-samplegen: writes every pcap-samples/ capture into an output
 * directory, byte-identical on every run (fixed addresses, fixed
 * timestamps, deterministic encoders and key).
 *
 *   sami-samplegen [--table] OUTDIR
 *
 * Files: OUTDIR/<family>/<name>.pcap (classic pcap, LINKTYPE_ETHERNET).
 * Timestamps: 2026-01-01T00:00:00Z for a file's first frame, +1 ms per frame.
 * --table also prints the Markdown sample table (pcap-samples/README.md).
 * Exit: 0 ok, 1 cannot write or encode, 2 usage, 3 a sample no longer
 * decodes the way it is documented (files are still written). */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "samplegen.h"
#include "sami/error.h"
#include "sami/hmac.h"

#define SG_EPOCH_S 1767225600L /* 2026-01-01T00:00:00Z */

const uint8_t mac_hv[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x01};
const uint8_t mac_br_o[6] = {0x02, 0x53, 0x4d, 0x00, 0x00, 0x01};
const uint8_t mac_br_d[6] = {0x02, 0x53, 0x4d, 0x00, 0x00, 0x02};
const uint8_t mac_ecp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
const uint8_t mac_lldp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};

const uint8_t sg_vm_uuid[16] = {0x6b, 0x1e, 0x5a, 0x6e, 0x2f, 0x3c, 0x4d, 0x5e,
                                0x9f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab};
const uint8_t sg_vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t sg_vm_ipv4[4] = {192, 0, 2, 10};
const uint8_t sg_vm_ipv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};

struct sami_xfer_key sg_key;
const struct sami_hmac_provider *sg_hmac;

struct gen {
    const char *out;
    int table;
    pcap_t *pd;
    pcap_dumper_t *dump;
    char family[16];
    char name[96];
    char what[512];
    unsigned frames;
    unsigned samples;
    unsigned mismatches;
};

void sg_die(const char *fmt, ...)
{
    va_list ap;
    fputs("sami-samplegen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void sg_must(int rc, const char *what)
{
    if (rc != 0)
        sg_die("%s: %s (%s)", what, sami_strerror(rc), sami_strerror_name(rc));
}

size_t eth_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(ethertype >> 8);
    f[13] = (uint8_t)ethertype;
    return ETH_HDR_LEN;
}

size_t eth_pad(uint8_t *f, size_t len)
{
    if (len < ETH_MIN_FRAME) {
        memset(f + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    return len;
}

static void mkdir_one(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        sg_die("mkdir %s: %s", path, strerror(errno));
}

void sample_begin(struct gen *g, const char *family, const char *name, const char *what)
{
    char path[4096];
    size_t fl = strlen(family);

    if (g->dump)
        sg_die("sample %s: previous sample %s not closed", name, g->name);
    /* The naming rule (WIRE-PLAN addendum): <family>-<what>[-<malformation>]. */
    if (strncmp(name, family, fl) != 0 || name[fl] != '-')
        sg_die("sample %s: name must start with \"%s-\"", name, family);
    snprintf(g->family, sizeof g->family, "%s", family);
    snprintf(g->name, sizeof g->name, "%s", name);
    snprintf(g->what, sizeof g->what, "%s", what);
    g->frames = 0;

    snprintf(path, sizeof path, "%s/%s", g->out, family);
    mkdir_one(path);
    snprintf(path, sizeof path, "%s/%s/%s.pcap", g->out, family, name);
    g->dump = pcap_dump_open(g->pd, path);
    if (!g->dump)
        sg_die("%s: %s", path, pcap_geterr(g->pd));
}

void sample_frame(struct gen *g, const uint8_t *frame, size_t len)
{
    struct pcap_pkthdr h;

    if (!g->dump)
        sg_die("frame outside a sample");
    if (len > FRAME_MAX)
        sg_die("%s: frame of %zu octets", g->name, len);
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = SG_EPOCH_S + (long)(g->frames / 1000u);
    h.ts.tv_usec = (long)(g->frames % 1000u) * 1000L;
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)g->dump, &h, frame);
    g->frames++;
}

static void sample_close(struct gen *g, int check_rc, int want_rc, const char *malformation)
{
    if (!g->dump)
        sg_die("close without a sample");
    if (g->frames == 0)
        sg_die("%s: no frames", g->name);
    if (pcap_dump_flush(g->dump) != 0)
        sg_die("%s: write failed", g->name);
    pcap_dump_close(g->dump);
    g->dump = NULL;
    g->samples++;

    if (check_rc != want_rc) {
        fprintf(stderr, "sami-samplegen: %s: decodes to %s, documented as %s\n", g->name,
                check_rc ? sami_strerror_name(check_rc) : "OK",
                want_rc ? sami_strerror_name(want_rc) : "OK");
        g->mismatches++;
    }
    if (g->table)
        printf("| [`%s`](%s/%s.pcap) | %u | %s | %s | %s |\n", g->name, g->family, g->name,
               g->frames, malformation ? "malformed" : "valid", g->what,
               malformation ? malformation : "");
}

void sample_valid(struct gen *g, int check_rc)
{
    sample_close(g, check_rc, 0, NULL);
}

void sample_malformed(struct gen *g, int check_rc, int want_rc, const char *fmt, ...)
{
    char text[768];
    int n;
    va_list ap;

    /* The tshark cross-check (tests/tshark.cmake) recognises malformed
     * samples by these name tags only. */
    if (!strstr(g->name, "-bad") && !strstr(g->name, "-trunc") && !strstr(g->name, "-overrun") &&
        !strstr(g->name, "-unknown"))
        sg_die("%s: a malformed sample's name needs -bad, -trunc, -overrun or -unknown", g->name);
    va_start(ap, fmt);
    n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof text)
        sg_die("%s: malformation text too long", g->name);
    /* Every row names the error the decoders report. */
    snprintf(text + n, sizeof text - (size_t)n, " → `%s`", sami_strerror_name(want_rc));
    sample_close(g, check_rc, want_rc, text);
}

static void usage(FILE *to)
{
    fputs("usage: sami-samplegen [--table] OUTDIR\n"
          "Writes the sami sample captures to OUTDIR/<family>/<name>.pcap\n"
          "(byte-identical on every run). --table prints the Markdown sample table.\n",
          to);
}

int main(int argc, char **argv)
{
    struct gen g;
    int argi = 1;

    memset(&g, 0, sizeof g);
    if (argi < argc && strcmp(argv[argi], "--table") == 0) {
        g.table = 1;
        argi++;
    }
    if (argi < argc && (strcmp(argv[argi], "-h") == 0 || strcmp(argv[argi], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argi + 1 != argc || argv[argi][0] == '-') {
        usage(stderr);
        return 2;
    }
    g.out = argv[argi];
    mkdir_one(g.out);

#if defined(SAMI_WITH_SODIUM)
    sg_hmac = sami_hmac_sodium();
#else
    sg_hmac = sami_hmac_default();
#endif
    if (!sg_hmac)
        sg_die("no HMAC provider (libsami built without libsodium/OpenSSL)");
    sg_key.id = 1;
    sg_key.len = 32;
    for (unsigned i = 0; i < 32; i++)
        sg_key.bytes[i] = (uint8_t)i;

    /* Snap length 65535: the usual value, fixed so the file header is too. */
    g.pd = pcap_open_dead(DLT_EN10MB, 65535);
    if (!g.pd)
        sg_die("pcap_open_dead failed");

    if (g.table) {
        puts("| Sample | Frames | Kind | What | Malformation (frame byte offsets) → decoder error |");
        puts("|---|---|---|---|---|");
    }
    gen_ecp(&g);
    gen_vdp(&g);
    gen_samitlv(&g);
    gen_lldp(&g);
    gen_xfer(&g);
    gen_l2(&g);
    gen_di(&g);
    pcap_close(g.pd);

    if (fflush(stdout) != 0)
        sg_die("stdout: %s", strerror(errno));
    fprintf(stderr, "sami-samplegen: %u samples written to %s\n", g.samples, g.out);
    if (g.mismatches) {
        fprintf(stderr, "sami-samplegen: %u samples do not decode as documented\n",
                g.mismatches);
        return 3;
    }
    return 0;
}
