# shellcheck shell=bash
# Shared by bench/embed-check.sh and bench/cross-test.sh (sourced, not run).
#
# Builds the portable core the way a firmware build would: every lib/*.c,
# vdp-ext/*.c and lldp-ext/*.c (the same globs as CMakeLists.txt), without a
# crypto provider, compiled file by file with plain compiler flags and no
# CMake, so the core's freedom from build-system magic is tested too.

SAMI_ROOT=${SAMI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# The warning set of CMakeLists.txt (add_compile_options), kept in step by
# hand: the core must be -Werror clean on every target, not only the host.
SAMI_WARN_FLAGS="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wvla -Werror"
SAMI_CORE_INCLUDES="-I$SAMI_ROOT/lib -I$SAMI_ROOT/vdp-ext -I$SAMI_ROOT/lldp-ext"

sami_jobs() { nproc 2>/dev/null || echo 2; }

sami_core_sources() {
    ls "$SAMI_ROOT"/lib/*.c "$SAMI_ROOT"/vdp-ext/*.c "$SAMI_ROOT"/lldp-ext/*.c
}

# sami_compile_all CC OUTDIR CFLAGS... < list of .c files
# Compiles each file to OUTDIR/<dir>_<name>.o in parallel. On failure prints
# every compiler message and returns 1. Objects are named by directory too so
# two modules with one name cannot collide.
sami_compile_all() {
    local cc=$1 out=$2
    shift 2
    mkdir -p "$out"
    : >"$out/compile.log"
    # Each job writes its own log: interleaved diagnostics are unreadable.
    SAMI_CC="$cc" SAMI_OUT="$out" SAMI_CFLAGS="$*" xargs -P "$(sami_jobs)" -I{} sh -c '
        src={}
        obj="$SAMI_OUT/$(basename "$(dirname "$src")")_$(basename "$src" .c).o"
        if ! $SAMI_CC $SAMI_CFLAGS -c "$src" -o "$obj" >"$obj.log" 2>&1; then
            echo "FAILED: $src" >>"$obj.log"
            exit 1
        fi' || {
        cat "$out"/*.o.log >&2
        return 1
    }
    # Warnings that did not fail the build (none expected with -Werror) are
    # still shown.
    cat "$out"/*.o.log >>"$out/compile.log" 2>/dev/null || true
    rm -f "$out"/*.o.log
    return 0
}

# sami_build_core CC AR OUTDIR OPTFLAGS -> OUTDIR/libsami-core.a
sami_build_core() {
    local cc=$1 ar=$2 out=$3 opt=$4
    rm -rf "$out/obj" "$out/libsami-core.a"
    sami_core_sources | sami_compile_all "$cc" "$out/obj" -std=c11 $opt $SAMI_WARN_FLAGS \
        $SAMI_CORE_INCLUDES || return 1
    "$ar" rcs "$out/libsami-core.a" "$out"/obj/*.o
}
