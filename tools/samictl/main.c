/* samictl: the command line of samid's control socket (docs/SAMID.md).
 *
 *   samictl [-s SOCKET] [--json] show migrations|di [--vm UUID|MAC]|peers|counters|vsis
 *   samictl [-s SOCKET] load FILE
 *   samictl [-s SOCKET] ping|reload|log-level LEVEL
 *
 * It sends one request line per command and reads samid's JSON answer;
 * --json prints the answer as it came, otherwise a readable rendering.
 * Exit status: 0 ok, 1 error (samid unreachable, or it answered ok=false),
 * 2 usage. */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"

#define EXIT_ERR 1
#define EXIT_USAGE 2
#define DEFAULT_SOCKET "/run/samid.sock"
#define PRELOAD_LINE_MAX 4096

static int timeout_ms = 10000;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: samictl [-s SOCKET] [--json] COMMAND\n"
            "\n"
            "Commands:\n"
            "  show migrations          migrations in progress or lingering (both roles):\n"
            "                           id, role, state, VM, last time point, deadline, ...\n"
            "  show di [--vm UUID|MAC]  the DI store: per VM its flags, counts per DI type\n"
            "                           and every record with its remaining timers; --vm\n"
            "                           selects one VM by VSI ID or by a MAC (of a VSI\n"
            "                           filter or a DHCP/DHCPv6/ND/802.1X record)\n"
            "  show peers               peer bridges: binding, connections, authentication\n"
            "  show counters            every counter: node, migration engine, transfer\n"
            "                           engine (bad_auth, replay, ...), store, per downlink\n"
            "                           (VDP, ECP, DHCP snooping, LLDP), samid itself\n"
            "  show vsis                per downlink: policy, LLDP neighbour and negotiated\n"
            "                           EVB timers, the VSIs held with their filters\n"
            "  load FILE                put the records of a preload file (samid's format,\n"
            "                           docs/SAMID-CONFIG.md) into the running samid; the\n"
            "                           whole file is checked before anything is stored\n"
            "  ping                     is samid there (version, bridge, uptime)\n"
            "  reload                   reload the configuration (as SIGHUP)\n"
            "  log-level LEVEL          error, warn, info or debug until the next reload\n"
            "\n"
            "Options:\n"
            "  -s, --socket PATH        samid's control socket (default %s,\n"
            "                           or $SAMID_SOCKET)\n"
            "  -j, --json               print samid's JSON answer (one object per line)\n"
            "  -t, --timeout MS         how long to wait for samid (default 10000)\n"
            "  -h, --help               this help\n"
            "\n"
            "Exit status: 0 ok; 1 samid unreachable or the request failed; 2 usage.\n",
            DEFAULT_SOCKET);
}

/* ------------------------------------------------------------ transport */

struct link {
    int fd;
    char *buf;
    size_t len, cap;
};

static int link_open(struct link *l, const char *path)
{
    memset(l, 0, sizeof *l);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "samictl: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l->fd < 0 || connect(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "samictl: cannot reach samid at %s: %s%s\n", path, strerror(errno),
                errno == ENOENT || errno == ECONNREFUSED ? " (is samid running? -s SOCKET)" : "");
        if (l->fd >= 0)
            close(l->fd);
        return -1;
    }
    return 0;
}

static int link_send(struct link *l, const char *s, size_t n)
{
    while (n) {
        ssize_t w = send(l->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "samictl: send: %s\n", strerror(errno));
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One answer line (NUL-terminated, no newline), owned by the link until
 * the next call. */
static char *link_line(struct link *l)
{
    static size_t consumed;
    if (consumed) {
        memmove(l->buf, l->buf + consumed, l->len - consumed);
        l->len -= consumed;
        consumed = 0;
    }
    for (;;) {
        char *nl = l->buf ? memchr(l->buf, '\n', l->len) : NULL;
        if (nl) {
            *nl = 0;
            consumed = (size_t)(nl - l->buf) + 1;
            return l->buf;
        }
        if (l->len + 65536 > l->cap) {
            size_t c = l->cap ? l->cap * 2 : 131072;
            char *b = realloc(l->buf, c);
            if (!b) {
                fprintf(stderr, "samictl: out of memory\n");
                return NULL;
            }
            l->buf = b;
            l->cap = c;
        }
        struct pollfd p = {l->fd, POLLIN, 0};
        int rc = poll(&p, 1, timeout_ms);
        if (rc == 0) {
            fprintf(stderr, "samictl: no answer from samid within %d ms\n", timeout_ms);
            return NULL;
        }
        if (rc < 0 && errno == EINTR)
            continue;
        ssize_t n = recv(l->fd, l->buf + l->len, l->cap - l->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "samictl: samid closed the connection%s%s\n", n < 0 ? ": " : "",
                    n < 0 ? strerror(errno) : "");
            return NULL;
        }
        l->len += (size_t)n;
    }
}

/* ------------------------------------------------------------ rendering */

static const struct jnode *N(const struct jdoc *d, size_t i)
{
    return &d->nodes[i];
}

static void scalar(const struct jdoc *d, size_t i, FILE *f)
{
    const struct jnode *n = N(d, i);
    switch (n->type) {
    case J_NULL: fputs("-", f); break;
    case J_BOOL: fputs(n->boolean ? "yes" : "no", f); break;
    case J_NUM: fputs(n->str, f); break;
    case J_STR: fputs(n->str[0] ? n->str : "\"\"", f); break;
    default: break;
    }
}

static int all_scalars(const struct jdoc *d, size_t i)
{
    size_t c = i + 1;
    for (size_t k = 0; k < N(d, i)->n; k++) {
        if (N(d, c)->type == J_ARR || N(d, c)->type == J_OBJ)
            return 0;
        c = N(d, c)->next;
    }
    return 1;
}

/* Generic: "key: value" lines, nested objects indented, arrays of scalars
 * on one line, arrays of objects as "-" items. */
static void render(const struct jdoc *d, size_t i, int indent, FILE *f)
{
    const struct jnode *n = N(d, i);
    size_t c = i + 1;
    for (size_t k = 0; k < n->n; k++) {
        const struct jnode *ch = N(d, c);
        if (n->type == J_OBJ)
            fprintf(f, "%*s%s:", indent, "", ch->key);
        else
            fprintf(f, "%*s-", indent, "");
        if (ch->type == J_OBJ) {
            if (ch->n == 0) {
                fputs(" {}\n", f);
            } else if (all_scalars(d, c) && ch->n <= 8 && n->type == J_OBJ) {
                size_t g = c + 1;
                for (size_t m = 0; m < ch->n; m++) {
                    fprintf(f, " %s=", N(d, g)->key);
                    scalar(d, g, f);
                    g = N(d, g)->next;
                }
                fputc('\n', f);
            } else {
                fputc('\n', f);
                render(d, c, indent + 2, f);
            }
        } else if (ch->type == J_ARR) {
            if (ch->n == 0) {
                fputs(" none\n", f);
            } else if (all_scalars(d, c)) {
                size_t g = c + 1;
                for (size_t m = 0; m < ch->n; m++) {
                    fputs(m ? ", " : " ", f);
                    scalar(d, g, f);
                    g = N(d, g)->next;
                }
                fputc('\n', f);
            } else {
                fputc('\n', f);
                render(d, c, indent + 2, f);
            }
        } else {
            fputc(' ', f);
            scalar(d, c, f);
            fputc('\n', f);
        }
        c = ch->next;
    }
}

static const char *sget(const struct jdoc *d, size_t obj, const char *k)
{
    size_t i = jget(d, obj, k);
    if (!i)
        return "-";
    const struct jnode *n = N(d, i);
    if (n->type == J_STR || n->type == J_NUM)
        return n->str[0] ? n->str : "-";
    if (n->type == J_BOOL)
        return n->boolean ? "yes" : "no";
    return "-";
}

static void render_migrations(const struct jdoc *d, FILE *f)
{
    size_t a = jget(d, 0, "migrations");
    if (!a || N(d, a)->n == 0) {
        fputs("no migrations\n", f);
        return;
    }
    fprintf(f, "%-20s %-6s %-13s %-36s %-9s %-8s %-11s %-6s %-10s %s\n", "ID", "ROLE", "STATE", "VM",
            "LAST-TP", "DOWNLINK", "DEADLINE-MS", "FROZEN", "XFER-US", "TRANSFER");
    size_t c = a + 1;
    for (size_t k = 0; k < N(d, a)->n; k++) {
        fprintf(f, "%-20s %-6s %-13s %-36s %-9s %-8s %-11s %-6s %-10s %s\n", sget(d, c, "id"),
                sget(d, c, "role"), sget(d, c, "state"), sget(d, c, "vm"),
                sget(d, c, "last_time_point"), sget(d, c, "downlink"),
                sget(d, c, "deadline_ms"), sget(d, c, "frozen"), sget(d, c, "transfer_us"),
                sget(d, c, "transfer"));
        c = N(d, c)->next;
    }
}

static void render_di(const struct jdoc *d, FILE *f)
{
    size_t a = jget(d, 0, "vms");
    if (!a || N(d, a)->n == 0) {
        fputs("no DI records\n", f);
        return;
    }
    size_t v = a + 1;
    for (size_t k = 0; k < N(d, a)->n; k++) {
        fprintf(f, "VM %s: %s record%s", sget(d, v, "vm"), sget(d, v, "count"),
                strcmp(sget(d, v, "count"), "1") ? "s" : "");
        size_t cs = jget(d, v, "counts");
        if (cs && N(d, cs)->n) {
            fputs(" (", f);
            size_t g = cs + 1;
            for (size_t m = 0; m < N(d, cs)->n; m++) {
                fprintf(f, "%s%s %s", m ? ", " : "", N(d, g)->key, N(d, g)->str);
                g = N(d, g)->next;
            }
            fputc(')', f);
        }
        size_t fl = jget(d, v, "flags");
        if (fl && N(d, fl)->n) {
            fputs(" [", f);
            size_t g = fl + 1;
            for (size_t m = 0; m < N(d, fl)->n; m++) {
                fprintf(f, "%s%s", m ? " " : "", N(d, g)->str);
                g = N(d, g)->next;
            }
            fputc(']', f);
        }
        fputc('\n', f);
        size_t rs = jget(d, v, "records");
        size_t r = rs + 1;
        for (size_t m = 0; rs && m < N(d, rs)->n; m++) {
            fprintf(f, "  %-9s", sget(d, r, "type"));
            size_t g = r + 1;
            for (size_t q = 0; q < N(d, r)->n; q++) {
                if (strcmp(N(d, g)->key, "type")) {
                    fprintf(f, " %s=", N(d, g)->key);
                    scalar(d, g, f);
                }
                g = N(d, g)->next;
            }
            fputc('\n', f);
            r = N(d, r)->next;
        }
        v = N(d, v)->next;
    }
}

/* Prints an answer; returns its exit status. */
static int show_answer(const char *line, int json, const char *what)
{
    struct jdoc d;
    char err[128];
    if (jparse(line, &d, err, sizeof err) != 0 || d.nodes[0].type != J_OBJ) {
        fprintf(stderr, "samictl: samid's answer is not JSON (%s): %.200s\n", err, line);
        if (d.nodes)
            jdoc_free(&d);
        return EXIT_ERR;
    }
    size_t ok = jget(&d, 0, "ok");
    int good = ok && N(&d, ok)->type == J_BOOL && N(&d, ok)->boolean;
    if (json) {
        puts(line);
    } else if (!good) {
        /* printed below */
    } else if (what && !strcmp(what, "migrations")) {
        render_migrations(&d, stdout);
    } else if (what && !strcmp(what, "di")) {
        render_di(&d, stdout);
    } else {
        render(&d, 0, 0, stdout);
    }
    if (!good)
        fprintf(stderr, "samictl: %s\n", sget(&d, 0, "error"));
    jdoc_free(&d);
    return good ? 0 : EXIT_ERR;
}

/* ------------------------------------------------------------- commands */

static int cmd_simple(struct link *l, const char *req, int json, const char *what)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s\n", req);
    if (n < 0 || (size_t)n >= sizeof buf || link_send(l, buf, (size_t)n) != 0)
        return EXIT_ERR;
    char *line = link_line(l);
    return line ? show_answer(line, json, what) : EXIT_ERR;
}

static int cmd_load(struct link *l, const char *path, int json)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "samictl: %s: %s\n", path, strerror(errno));
        return EXIT_ERR;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char req[256];
    /* the name is for samid's messages only: no spaces in a request word */
    snprintf(req, sizeof req, "load-begin %s\n", base);
    for (char *p = req + 11; *p && *p != '\n'; p++)
        if (*p == ' ' || *p == '\t')
            *p = '_';
    if (link_send(l, req, strlen(req)) != 0) {
        fclose(f);
        return EXIT_ERR;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long ln = 0;
    int rc = 0;
    /* Lines go out in batches of up to LOAD_BATCH octets: one send() per
     * line made a 1 M-record load a million system calls and as many
     * wake-ups of samid. */
    enum { LOAD_BATCH = 65536 };
    char *out = malloc(LOAD_BATCH + PRELOAD_LINE_MAX + 32);
    size_t olen = 0;
    if (!out) {
        fprintf(stderr, "samictl: out of memory\n");
        rc = EXIT_ERR;
    }
    while (out && (n = getline(&line, &cap, f)) >= 0) {
        ln++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        if ((size_t)n > PRELOAD_LINE_MAX) {
            fprintf(stderr, "samictl: %s:%lu: longer than %d octets\n", path, ln,
                    PRELOAD_LINE_MAX);
            rc = EXIT_ERR;
            break;
        }
        if (memchr(line, 0, (size_t)n)) {
            fprintf(stderr, "samictl: %s:%lu: NUL octet\n", path, ln);
            rc = EXIT_ERR;
            break;
        }
        int m = snprintf(out + olen, PRELOAD_LINE_MAX + 32, "load-line %s\n", line);
        olen += (size_t)m;
        if (olen >= LOAD_BATCH) {
            if (link_send(l, out, olen) != 0) {
                rc = EXIT_ERR;
                break;
            }
            olen = 0;
        }
    }
    if (out && olen && !rc && link_send(l, out, olen) != 0)
        rc = EXIT_ERR;
    free(out);
    free(line);
    if (ferror(f)) {
        fprintf(stderr, "samictl: %s: read error\n", path);
        rc = EXIT_ERR;
    }
    fclose(f);
    const char *end = rc ? "load-abort\n" : "load-end\n";
    if (link_send(l, end, strlen(end)) != 0)
        return EXIT_ERR;
    char *a = link_line(l); /* load-begin */
    if (!a)
        return EXIT_ERR;
    a = link_line(l); /* load-end / load-abort */
    if (!a)
        return EXIT_ERR;
    if (rc)
        return rc;
    if (json)
        return show_answer(a, 1, NULL);
    struct jdoc d;
    char err[128];
    if (jparse(a, &d, err, sizeof err) != 0) {
        fprintf(stderr, "samictl: bad answer: %s\n", err);
        return EXIT_ERR;
    }
    size_t ok = jget(&d, 0, "ok");
    int good = ok && d.nodes[ok].boolean;
    size_t st = jget(&d, 0, "stats");
    if (good)
        printf("%s: %s records stored (%s lines)\n", path, st ? sget(&d, st, "records") : "?",
               st ? sget(&d, st, "lines") : "?");
    else
        fprintf(stderr, "samictl: %s\n", sget(&d, 0, "error"));
    jdoc_free(&d);
    return good ? 0 : EXIT_ERR;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"socket", required_argument, 0, 's'},
                                       {"json", no_argument, 0, 'j'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 'h'},
                                       {"vm", required_argument, 0, 'm'},
                                       {0, 0, 0, 0}};
    const char *sock = getenv("SAMID_SOCKET");
    const char *vm = NULL;
    int json = 0, opt;
    if (!sock || !*sock)
        sock = DEFAULT_SOCKET;
    /* options may follow the command words ("show di --vm X --json") */
    while ((opt = getopt_long(argc, argv, "s:jt:h", lo, NULL)) != -1) {
        switch (opt) {
        case 's': sock = optarg; break;
        case 'j': json = 1; break;
        case 't': {
            char *e;
            long v = strtol(optarg, &e, 10);
            if (*e || v <= 0 || v > 3600000) {
                fprintf(stderr, "samictl: --timeout %s: not a number of ms\n", optarg);
                return EXIT_USAGE;
            }
            timeout_ms = (int)v;
            break;
        }
        case 'm': vm = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    int nargs = argc - optind;
    char **a = argv + optind;
    if (nargs < 1) {
        usage(stderr);
        return EXIT_USAGE;
    }
    char req[256];
    const char *what = NULL;
    if (!strcmp(a[0], "show")) {
        static const char *const objs[] = {"migrations", "di", "peers", "counters", "vsis"};
        int ok = nargs == 2;
        for (size_t i = 0; ok && i < 5; i++)
            if (!strcmp(a[1], objs[i]))
                what = objs[i];
        if (!what) {
            fprintf(stderr, "samictl: show what? migrations, di, peers, counters or vsis\n");
            return EXIT_USAGE;
        }
        if (vm && strcmp(what, "di")) {
            fprintf(stderr, "samictl: --vm goes with show di\n");
            return EXIT_USAGE;
        }
        if (vm && (strchr(vm, ' ') || strlen(vm) > 64)) {
            fprintf(stderr, "samictl: --vm %s: a UUID or a MAC\n", vm);
            return EXIT_USAGE;
        }
        snprintf(req, sizeof req, "show %s%s%s", what, vm ? " " : "", vm ? vm : "");
    } else if (!strcmp(a[0], "load")) {
        if (nargs != 2 || vm) {
            fprintf(stderr, "samictl: usage: load FILE\n");
            return EXIT_USAGE;
        }
    } else if (!strcmp(a[0], "ping") || !strcmp(a[0], "reload")) {
        if (nargs != 1 || vm) {
            fprintf(stderr, "samictl: %s takes no argument\n", a[0]);
            return EXIT_USAGE;
        }
        snprintf(req, sizeof req, "%s", a[0]);
    } else if (!strcmp(a[0], "log-level")) {
        if (nargs != 2 || vm || strlen(a[1]) > 16) {
            fprintf(stderr, "samictl: usage: log-level error|warn|info|debug\n");
            return EXIT_USAGE;
        }
        snprintf(req, sizeof req, "log-level %s", a[1]);
    } else {
        fprintf(stderr, "samictl: unknown command '%s' (samictl --help)\n", a[0]);
        return EXIT_USAGE;
    }
    struct link l;
    if (link_open(&l, sock) != 0)
        return EXIT_ERR;
    int rc = !strcmp(a[0], "load") ? cmd_load(&l, a[1], json) : cmd_simple(&l, req, json, what);
    close(l.fd);
    free(l.buf);
    return rc;
}
