#!/bin/bash
# The portable core and its unit tests on a 32-bit little-endian target
# (i686) and a 64-bit big-endian one (s390x), built with Debian's cross
# compilers and run natively (i686, when the kernel runs 32-bit binaries) or
# under qemu-user.
#
#   bench/cross-test.sh [--out DIR] [--only i686|s390x] [--host]
#
# Per target: the core (lib/ + vdp-ext/ + lldp-ext/, no crypto provider) at
# -Os with the project's warnings and -Werror, its .text size, then every
# tests/test_*.c against it. The tests use bench/cmocka-shim/cmocka.h instead
# of the target's libcmocka (no dpkg multiarch needed), and link statically
# so qemu needs no target sysroot. Tests that need an HMAC provider skip
# those cases themselves (the core has none here).
# --host runs the same pipeline with the host compiler (checks the shim).
#
# Packages: bench/debian-packages-embed. A target whose compiler or emulator
# is missing is skipped with a message (exit 0), unless SAMI_CROSS_REQUIRED=1.
# Exit 1 when any build or test fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/embed-lib.sh"

out=""
only=""
targets=(i686 s390x)
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --host) targets=(host); shift ;;
    *) echo "usage: $0 [--out DIR] [--only i686|s390x] [--host]" >&2; exit 2 ;;
    esac
done
[ -z "$only" ] || targets=("$only")
if [ -z "$out" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
start=$(date +%s)
total_pass=0 total_fail=0 total_skip=0 any_fail=0 skipped_targets=""

# target -> compiler, binutils prefix, how to run, package hint, byte order
target_info() {
    case $1 in
    i686) echo "i686-linux-gnu-gcc i686-linux-gnu- qemu-i386 gcc-i686-linux-gnu,libc6-dev-i386-cross,qemu-user" ;;
    s390x) echo "s390x-linux-gnu-gcc s390x-linux-gnu- qemu-s390x gcc-s390x-linux-gnu,libc6-dev-s390x-cross,qemu-user" ;;
    host) echo "${CC:-cc} - - -" ;;
    esac
}

skip_target() { # target reason packages
    echo "cross-test: SKIP $1: $2 (Debian packages: ${3//,/ })"
    skipped_targets+=" $1"
}

run_target() {
    local t=$1 cc prefix emu pkgs
    read -r cc prefix emu pkgs <<<"$(target_info "$t")"
    [ "$prefix" = "-" ] && prefix=""
    local dir=$out/$t
    echo "== cross: $t ($cc)"
    command -v "$cc" >/dev/null || { skip_target "$t" "$cc not found" "$pkgs"; return 0; }
    local ar=${prefix}ar size=${prefix}size

    # Probe: can the toolchain link a static binary, and what runs it?
    mkdir -p "$dir"
    printf 'int main(void) { return 0; }\n' >"$dir/probe.c"
    if ! $cc -static "$dir/probe.c" -o "$dir/probe" 2>"$dir/probe.log"; then
        skip_target "$t" "$cc cannot link a static program: $(head -1 "$dir/probe.log")" "$pkgs"
        return 0
    fi
    local runner=""
    if "$dir/probe" 2>/dev/null; then
        runner="" # native (host, or i686 on an x86-64 kernel with IA-32 emulation)
    elif [ "$emu" != "-" ] && command -v "$emu" >/dev/null && "$emu" "$dir/probe"; then
        runner=$emu
    else
        skip_target "$t" "no way to run $t binaries (${emu} not found)" "$pkgs"
        return 0
    fi
    local order
    order=$(echo '__BYTE_ORDER__' | $cc -E -P -x c - 2>/dev/null | tail -1)
    case $order in 4321) order=big-endian ;; 1234) order=little-endian ;; esac
    local bits
    bits=$(echo '__SIZEOF_POINTER__' | $cc -E -P -x c - 2>/dev/null | tail -1)
    echo "target: $($cc -dumpmachine), ${bits}-byte pointers, $order, run: ${runner:-native}"

    if ! sami_build_core "$cc" "$ar" "$dir/core" "-Os -DNDEBUG"; then
        echo "cross-test: FAIL $t: core build (warnings are errors)" >&2
        any_fail=1
        return 0
    fi
    local text
    text=$("$size" -A "$dir"/core/obj/*.o | awk '$1 ~ /^\.text/ {t += $2} END {print t + 0}')
    echo "core .text at -Os: $text bytes"

    # An HMAC provider for the tests: lib/hmac.c again, with its default
    # pointing at the portable test provider (bench/cross-hmac.c). Linked
    # before the archive, so the archive's own hmac object is not used.
    mkdir -p "$dir/hmac"
    if ! $cc -std=c11 -Os $SAMI_WARN_FLAGS $SAMI_CORE_INCLUDES -DSAMI_WITH_SODIUM=1 \
        -c "$SAMI_ROOT/lib/hmac.c" -o "$dir/hmac/hmac.o" ||
        ! $cc -std=c11 -O2 $SAMI_WARN_FLAGS $SAMI_CORE_INCLUDES \
            -c "$SAMI_ROOT/bench/cross-hmac.c" -o "$dir/hmac/cross-hmac.o"; then
        echo "cross-test: FAIL $t: test HMAC provider build" >&2
        any_fail=1
        return 0
    fi

    # Unit tests: -O1 so the flow-based warnings run, same warning set.
    ls "$SAMI_ROOT"/tests/test_*.c | sami_compile_all "$cc" "$dir/tobj" -std=c11 -O1 \
        $SAMI_WARN_FLAGS -I"$SAMI_ROOT/bench/cmocka-shim" -I"$SAMI_ROOT/tests" \
        $SAMI_CORE_INCLUDES -DSAMI_SOURCE_DIR="\"$SAMI_ROOT\"" -DSAMI_BINARY_DIR="\"$dir\"" || {
        echo "cross-test: FAIL $t: unit test build" >&2
        any_fail=1
        return 0
    }
    local pass=0 fail=0 skip=0 o name log
    for o in "$dir"/tobj/*.o; do
        name=$(basename "$o" .o)
        name=${name#tests_}
        if ! $cc -static "$o" "$dir"/hmac/*.o "$dir/core/libsami-core.a" -o "$dir/$name" \
            2>"$dir/$name.link.log"; then
            echo "  $name: LINK FAILED"
            cat "$dir/$name.link.log" >&2
            fail=$((fail + 1))
            continue
        fi
        log=$dir/$name.log
        # The tests read docs/ through SAMI_SOURCE_DIR: run from the tree.
        if (cd "$SAMI_ROOT" && timeout 300 $runner "$dir/$name") >"$log" 2>&1; then
            local n s
            n=$(awk '/^\[  PASSED  \]/ {s += $4} END {print s + 0}' "$log")
            s=$(awk '/^\[  SKIPPED \] [0-9]+ test/ {s += $4} END {print s + 0}' "$log")
            echo "  $name: ok ($n passed, $s skipped)"
            pass=$((pass + 1))
            [ "$s" -eq 0 ] || skip=$((skip + 1))
        else
            echo "  $name: FAILED"
            grep -E '^\[  (ERROR|FAILED) ' "$log" | head -20 | sed 's/^/    /'
            fail=$((fail + 1))
        fi
    done
    echo "cross: $t: $pass test programs passed, $fail failed ($skip with skipped cases)"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
    [ "$fail" -eq 0 ] || any_fail=1
}

for t in "${targets[@]}"; do
    run_target "$t"
done

echo "cross-test: done in $(( $(date +%s) - start )) s"
if [ -n "$skipped_targets" ] && [ "${SAMI_CROSS_REQUIRED:-0}" = 1 ]; then
    echo "cross-test: FAIL: targets skipped:$skipped_targets (SAMI_CROSS_REQUIRED=1)" >&2
    any_fail=1
fi
if [ $((total_pass + total_fail)) -eq 0 ]; then
    echo "cross-test: no target ran"
else
    echo "cross-test: $total_pass passed, $total_fail failed"
fi
exit "$any_fail"
