/* sami-demo: runs the seeds' migration scenarios in-process, on virtual
 * links and a fake clock, with the real engines. See docs/DEMO.md. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sami-demo [options]\n"
            "Runs the use cases of the seeds with the real sami engines (ECP, VDP, migration\n"
            "notification/feedback, authenticated bridge-to-bridge transfer, DI store) on a\n"
            "simulated network with a fake clock, and checks that every DI record ends up\n"
            "exactly once where its VM runs.\n"
            "\n"
            "  --scenario NAME|all  consolidation, firewall-dc, vdi, or all (default all)\n"
            "  --loss P             frame loss probability on every link, 0..0.9 (default 0);\n"
            "                       also duplicates and reorders P/3 of the frames\n"
            "  --seed N             seed of the run: DI contents, timings, link fates\n"
            "                       (default 1)\n"
            "  --scale K            multiply the VMs of each scenario by K (default 1)\n"
            "  --pods P             P copies of the scenario's topology (bridges, servers,\n"
            "                       VMs) in one fabric, every bridge peered with every\n"
            "                       other; every third mover of a pod goes to the next\n"
            "                       pod (default 1)\n"
            "  --pcap FILE          write every frame sent (Ethernet: ECP/VDP with sami TLVs,\n"
            "                       transfer L2 frames) to FILE (read it with sami-sniff)\n"
            "  --json               one JSON document instead of the tables\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 when every record was moved (or kept, on rollback) exactly once;\n"
            "1 when a record was lost, duplicated, altered or left behind, or a migration\n"
            "failed; 2 on a usage or setup error.\n"
            "\n"
            "Scenarios:\n");
    for (size_t i = 0; i < demo_n_scenarios; i++)
        fprintf(f, "  %-14s %s\n  %-14s (%s)\n", demo_scenarios[i].name, demo_scenarios[i].title,
                "", demo_scenarios[i].source);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end || s[0] == '-' || !s[0])
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct demo_opts o = {NULL, 0.0, 1, NULL, 0, 1, 1};
    static const struct option lopts[] = {
        {"scenario", required_argument, NULL, 's'}, {"loss", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 'S'},     {"scale", required_argument, NULL, 'k'},
        {"pcap", required_argument, NULL, 'p'},     {"json", no_argument, NULL, 'j'},
        {"pods", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        uint64_t v;
        char *end = NULL;
        switch (c) {
        case 's':
            o.scenario = optarg;
            break;
        case 'l':
            errno = 0;
            o.loss = strtod(optarg, &end);
            if (errno || !end || *end || !(o.loss >= 0.0 && o.loss <= 0.9)) {
                fprintf(stderr, "sami-demo: --loss wants a probability in [0, 0.9]\n");
                return 2;
            }
            break;
        case 'S':
            if (parse_u64(optarg, &o.seed)) {
                fprintf(stderr, "sami-demo: --seed wants an unsigned integer\n");
                return 2;
            }
            break;
        case 'k':
            if (parse_u64(optarg, &v) || v < 1 || v > DEMO_SCALE_MAX) {
                fprintf(stderr, "sami-demo: --scale wants 1..%d\n", DEMO_SCALE_MAX);
                return 2;
            }
            o.scale = (unsigned)v;
            break;
        case 'P':
            if (parse_u64(optarg, &v) || v < 1 || v > DEMO_PODS_MAX) {
                fprintf(stderr, "sami-demo: --pods wants 1..%d\n", DEMO_PODS_MAX);
                return 2;
            }
            o.pods = (unsigned)v;
            break;
        case 'p':
            o.pcap = optarg;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if ((uint64_t)o.scale * o.pods > DEMO_SCALE_MAX) {
        /* VM numbers (and so MACs and addresses) stay unique below this */
        fprintf(stderr, "sami-demo: --scale times --pods wants at most %d\n", DEMO_SCALE_MAX);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "sami-demo: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    int all = !o.scenario || !strcmp(o.scenario, "all");
    int found = all;
    for (size_t i = 0; i < demo_n_scenarios && !found; i++)
        found = !strcmp(o.scenario, demo_scenarios[i].name);
    if (!found) {
        fprintf(stderr, "sami-demo: unknown scenario '%s' (try --help)\n", o.scenario);
        return 2;
    }

    FILE *pcap = NULL;
    if (o.pcap) {
        pcap = fopen(o.pcap, "wb");
        if (!pcap) {
            fprintf(stderr, "sami-demo: %s: %s\n", o.pcap, strerror(errno));
            return 2;
        }
        uint8_t fh[SAMI_SIM_PCAP_FILE_HEADER_LEN];
        sami_sim_pcap_file_header(fh, 65535, SAMI_SIM_PCAP_LINKTYPE_ETHERNET);
        if (fwrite(fh, 1, sizeof fh, pcap) != sizeof fh) {
            fprintf(stderr, "sami-demo: %s: write failed\n", o.pcap);
            fclose(pcap);
            return 2;
        }
    }

    int worst = 0, first = 1;
    sami_usec_t pcap_clock = 0;
    if (o.json)
        printf("{\"scenarios\":[");
    for (size_t i = 0; i < demo_n_scenarios; i++) {
        if (!all && strcmp(o.scenario, demo_scenarios[i].name))
            continue;
        int rc = demo_run(&o, &demo_scenarios[i], pcap, &pcap_clock, stdout, &first);
        if (rc > worst)
            worst = rc;
    }
    if (o.json)
        printf("],\"ok\":%s}\n", worst ? "false" : "true");
    if (pcap && fclose(pcap) != 0) {
        fprintf(stderr, "sami-demo: %s: write failed\n", o.pcap);
        worst = 2;
    }
    if (!o.json)
        printf("sami-demo: %s\n", worst == 0 ? "OK: every record arrived exactly once"
                                             : "FAILED: see the rows marked above");
    return worst;
}
