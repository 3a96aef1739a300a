#!/bin/bash
# Embeddability of the portable core (lib/ + vdp-ext/ + lldp-ext/, no crypto
# provider), built alone at -Os as switch firmware would:
#  (a) code size: .text per object, per group and in total, against the
#      64 KiB goal (reported) and a regression ceiling (enforced);
#  (b) symbols: no core object may reference I/O, time, socket, thread,
#      stdio or heap functions (sans-I/O: the host passes time, frames and
#      memory in). Fails naming the symbol and the object.
#
#   bench/embed-check.sh [--cc CC] [--out DIR]
#
# CC defaults to $CC or cc; a cross compiler (s390x-linux-gnu-gcc) brings its
# own nm/size/ar by prefix. Registered as ctest "embed_check" (label embed)
# by tests/embed.cmake. Exit 0 = pass, 1 = a check failed, 2 = usage/tools.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/embed-lib.sh"

cc=${CC:-cc}
out=""
while [ $# -gt 0 ]; do
    case $1 in
    --cc) cc=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--cc CC] [--out DIR]" >&2; exit 2 ;;
    esac
done

TEXT_GOAL=65536                              # DESIGN goal for firmware
TEXT_CEILING=${SAMI_TEXT_CEILING:-131072}    # fail above: twice the goal

# Allowed exceptions to (b), one "object-glob:symbol reason" per line.
# None today: engines and stores take caller memory or an allocator struct,
# time is an argument, frames leave through callbacks.
ALLOW=(
)

# Tools matching the compiler (prefix of a cross gcc, else the host's).
cc_base=$(basename "${cc%% *}")
prefix=""
case $cc_base in *-gcc | *-gcc-[0-9]*) prefix=${cc_base%-gcc*}- ;; esac
NM=${NM:-${prefix}nm}
SIZE=${SIZE:-${prefix}size}
AR=${AR:-${prefix}ar}
for t in "${cc%% *}" "$NM" "$SIZE" "$AR"; do
    command -v "$t" >/dev/null || { echo "embed-check: $t not found" >&2; exit 2; }
done

if [ -z "$out" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi

target=$($cc -dumpmachine 2>/dev/null || echo unknown)
echo "== embed (a): core at -Os, no crypto provider ($cc_base, $target)"
if ! sami_build_core "$cc" "$AR" "$out" "-Os -DNDEBUG"; then
    echo "embed-check: FAIL: the core does not build warning-free at -Os with $cc" >&2
    exit 1
fi

# size -A: one line per section; sum .text (and .text.* with
# -ffunction-sections) per object.
printf '%-28s %8s %8s %8s %8s\n' object .text .rodata .data .bss
total=0 codecs=0 engines=0 store=0
for o in "$out"/obj/*.o; do
    read -r t r d b < <("$SIZE" -A "$o" | awk '
        $1 ~ /^\.text/ {t += $2}
        $1 ~ /^\.rodata/ || $1 ~ /^\.data\.rel\.ro/ {r += $2}
        $1 ~ /^\.data/ && $1 !~ /^\.data\.rel\.ro/ {d += $2}
        $1 ~ /^\.bss/ {b += $2}
        END {print t + 0, r + 0, d + 0, b + 0}')
    name=$(basename "$o" .o)
    printf '%-28s %8d %8d %8d %8d\n' "$name" "$t" "$r" "$d" "$b"
    total=$((total + t))
    mod=${name#*_}
    case $mod in
    memstore) store=$((store + t)) ;;       # reference store: firmware brings its own
    *_engine | *_station | *_bridge | *_link | mig_* | store) engines=$((engines + t)) ;;
    *) codecs=$((codecs + t)) ;;
    esac
done
echo "groups (.text): codecs $codecs, engines $engines, reference memstore $store"
echo "berkeley totals (text includes .rodata and .eh_frame):"
"$SIZE" --format=berkeley -t "$out/libsami-core.a" | tail -1 | awk '{print "  text", $1, "data", $2, "bss", $3}'
echo "largest functions:"
# -A puts "object:address" first, so one sort ranks across objects.
"$NM" -A -S -t d "$out"/obj/*.o 2>/dev/null | awk '$3 ~ /^[tT]$/ {print $2 + 0, $4}' |
    sort -n | tail -8 | awk '{printf "  %6d  %s\n", $1, $2}'

kib=$(awk -v t="$total" 'BEGIN {printf "%.1f", t / 1024}')
if [ "$total" -le "$TEXT_GOAL" ]; then
    echo "embed (a): .text $total bytes ($kib KiB): goal <= $TEXT_GOAL met"
else
    echo "embed (a): .text $total bytes ($kib KiB): goal <= $TEXT_GOAL NOT met" \
        "(over by $((total - TEXT_GOAL)); without the reference memstore $((total - store)))"
fi

# Per role: what a minimal firmware image really links (bench/embed-role.c:
# the role's entry points only), with the core and the image compiled at -Os
# -ffunction-sections -fdata-sections and linked with --gc-sections. Summed:
# the .text input sections of core objects that survive, from the link map.
echo "== embed (a'): core .text linked into a minimal firmware image per role (--gc-sections)"
role_out="$out/gc"
role_flags="-Os -DNDEBUG -ffunction-sections -fdata-sections"
rm -rf "$role_out"
if ! sami_core_sources | sami_compile_all "$cc" "$role_out/obj" -std=c11 $role_flags \
    $SAMI_WARN_FLAGS $SAMI_CORE_INCLUDES; then
    echo "embed-check: FAIL: the core does not build with -ffunction-sections" >&2
    exit 1
fi
"$AR" rcs "$role_out/libsami-core.a" "$role_out"/obj/*.o
role_text() { # map file -> "total obj:bytes..." for core members
    awk '
        function hex(x,   i, v) { # mawk has no strtonum
            v = 0; x = tolower(x); sub(/^0x/, "", x)
            for (i = 1; i <= length(x); i++) v = v * 16 + index("0123456789abcdef", substr(x, i, 1)) - 1
            return v
        }
        /^Linker script and memory map/ {on = 1; next}
        !on {next}
        /^ \.text/ {
            if (NF >= 4) {sz = $3; f = $4} else {getline; sz = $2; f = $3}
            if (f ~ /libsami-core\.a\(/) {
                sub(/.*\(/, "", f); sub(/\.o\)$/, "", f)
                n = hex(sz); t += n; per[f] += n
            }
        }
        END {
            printf "%d", t
            for (o in per) printf " %s:%d", o, per[o]
            printf "\n"
        }' "$1"
}
role_fail=0
for role in bridge hv; do
    ROLE=$(echo "$role" | tr a-z A-Z)
    if ! $cc -std=c11 $role_flags $SAMI_WARN_FLAGS $SAMI_CORE_INCLUDES -DSAMI_ROLE_$ROLE \
        -c "$here/embed-role.c" -o "$role_out/role-$role.o" ||
        ! $cc -o "$role_out/role-$role" "$role_out/role-$role.o" "$role_out/libsami-core.a" \
            -Wl,--gc-sections -Wl,-Map="$role_out/role-$role.map"; then
        echo "embed-check: FAIL: the $role image does not build or link" >&2
        role_fail=1
        continue
    fi
    read -r rt per < <(role_text "$role_out/role-$role.map")
    rk=$(awk -v t="$rt" 'BEGIN {printf "%.1f", t / 1024}')
    verdict="goal <= $TEXT_GOAL met"
    [ "$rt" -le "$TEXT_GOAL" ] || verdict="goal <= $TEXT_GOAL NOT met (over by $((rt - TEXT_GOAL)))"
    echo "embed (a') $role image: core .text linked $rt bytes ($rk KiB): $verdict"
    echo "  by object: $(echo "$per" | tr ' ' '\n' | sort -t: -k2 -rn | tr '\n' ' ')"
done

size_fail=$role_fail
# The documented figure and the ceiling are GCC's; clang's -Os output is
# larger and only reported.
if ! $cc --version 2>/dev/null | grep -qi 'gcc\|free software foundation'; then
    echo "embed (a): size ceiling not enforced for a non-GCC compiler"
elif [ "$total" -gt "$TEXT_CEILING" ]; then
    echo "embed-check: FAIL: .text $total bytes exceeds the regression ceiling $TEXT_CEILING" \
        "(SAMI_TEXT_CEILING)" >&2
    size_fail=1
fi

echo "== embed (b): symbols the core references"
# Names compared after dropping glibc's fortify form (__x_chk -> x) and
# leading underscores (__isoc99_sscanf, __assert_fail).
deny='^(printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsprintf|vsnprintf|dprintf|vdprintf'
deny+='|asprintf|vasprintf|puts|fputs|putchar|putc|fputc|perror|fopen|fopen64|fdopen|freopen'
deny+='|fclose|fread|fwrite|fflush|fgets|fgetc|getc|getchar|scanf|fscanf|sscanf|isoc99_sscanf'
deny+='|stdin|stdout|stderr|read|write|open|open64|openat|close|lseek|pread|pwrite|readv|writev'
deny+='|ioctl|fcntl|socket|socketpair|bind|connect|listen|accept|accept4|send|sendto|sendmsg'
deny+='|recv|recvfrom|recvmsg|setsockopt|getsockopt|shutdown|poll|ppoll|select|pselect'
deny+='|epoll_.*|clock_gettime|gettimeofday|time|clock|times|sleep|usleep|nanosleep'
deny+='|clock_nanosleep|timespec_get|pthread_.*|thrd_.*|mtx_.*|cnd_.*|tss_.*|call_once'
deny+='|malloc|calloc|realloc|reallocarray|free|aligned_alloc|posix_memalign|memalign|valloc'
deny+='|strdup|strndup|exit|_exit|abort|atexit|assert_fail|getenv|syslog|vsyslog|signal'
deny+='|sigaction|raise|rand|srand|random|getrandom)$'

allowed() { # object symbol -> 0 if listed in ALLOW
    local e
    for e in "${ALLOW[@]+"${ALLOW[@]}"}"; do
        local spec=${e%% *}
        # shellcheck disable=SC2053
        [[ "$1:$2" == $spec ]] && return 0
    done
    return 1
}

bad=0
externals=""
for o in "$out"/obj/*.o; do
    name=$(basename "$o")
    for sym in $("$NM" -u "$o" | awk '{print $NF}'); do
        base=${sym%%@*}
        case $base in sami_* | _GLOBAL_OFFSET_TABLE_) continue ;; esac
        externals+="$base"$'\n'
        norm=$base
        norm=${norm%_chk}
        while [ "${norm#_}" != "$norm" ]; do norm=${norm#_}; done
        if [[ $norm =~ $deny ]]; then
            if allowed "$name" "$base"; then
                echo "  allowed: $name references $base"
            else
                echo "embed-check: FAIL: $name references $base (I/O, time, thread, stdio or heap)" >&2
                bad=1
            fi
        fi
    done
done
ext=$(printf '%s' "$externals" | sort -u | tr '\n' ' ')
echo "external references (all objects): ${ext:-none}"
if [ "$bad" -eq 0 ]; then
    echo "embed (b): no forbidden symbol in $(ls "$out"/obj/*.o | wc -l) core objects" \
        "(exceptions allowed: ${#ALLOW[@]})"
fi

if [ "$bad" -ne 0 ] || [ "$size_fail" -ne 0 ]; then
    exit 1
fi
echo "embed-check: passed"
