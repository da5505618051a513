# shellcheck shell=bash
# Shared by tools/keel and its subcommands: messages, paths and the CMake
# build (Debian packages: tools/lib/deps.sh).  Sourced, never run.

# The source tree (tools/..) and the build directory (KEEL_BUILD_DIR, default
# build/ in the source tree).  Both are absolute.
KEEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
KEEL_BUILD_DIR=${KEEL_BUILD_DIR:-$KEEL_ROOT/build}
[[ $KEEL_BUILD_DIR == /* ]] || KEEL_BUILD_DIR=$PWD/$KEEL_BUILD_DIR

# Exit statuses of `tools/keel run` that are not a guest's status.
# shellcheck disable=SC2034 # used by the files that source this one
readonly KEEL_EXIT_TIMEOUT=124     # the run hit --timeout
# shellcheck disable=SC2034
readonly KEEL_EXIT_FIRMWARE=125    # keel.efi returned to the firmware
readonly KEEL_EXIT_LAUNCHER=126    # the emulator or this launcher failed

# Messages from the launcher go to stderr, prefixed so that they can never be
# mistaken for Keel's own `keel: ...` lines in a log.
say()  { printf 'tools/keel: %s\n' "$*" >&2; }
warn() { printf 'tools/keel: warning: %s\n' "$*" >&2; }
die()  { printf 'tools/keel: error: %s\n' "$*" >&2; exit "$KEEL_EXIT_LAUNCHER"; }

# A path relative to the current directory when it is below it, for messages.
pretty_path() {
    local p=$1
    case $p in
        "$PWD"/*) printf '%s\n' "${p#"$PWD"/}" ;;
        *) printf '%s\n' "$p" ;;
    esac
}

# Configures the build directory when it has no build system yet (or when
# KEEL_BUILD_TYPE asks for a build type), then builds everything.
# Returns non-zero when CMake fails.
build_all() {
    local type=${KEEL_BUILD_TYPE:-RelWithDebInfo}
    if [[ ! -f $KEEL_BUILD_DIR/CMakeCache.txt || -n ${KEEL_BUILD_TYPE:-} ||
          ( ! -f $KEEL_BUILD_DIR/Makefile && ! -f $KEEL_BUILD_DIR/build.ninja ) ]]; then
        say "configuring $(pretty_path "$KEEL_BUILD_DIR") ($type)"
        cmake -S "$KEEL_ROOT" -B "$KEEL_BUILD_DIR" -DCMAKE_BUILD_TYPE="$type" || return 1
    fi
    cmake --build "$KEEL_BUILD_DIR" -j"$(nproc)" || return 1
}
