#!/usr/bin/env bash
# tools.mkcpio: tools/mkcpio writes a newc cpio that busybox's cpio reads
# back as written: names, modes, a file's bytes, a symbolic link's target,
# a device node's major and minor (without root on the build machine), the
# trailer; and a malformed entry is refused with status 1 and a message.
# Argument: the mkcpio binary.
set -uo pipefail
mkcpio=${1:?usage: mkcpio.sh MKCPIO}
bb=${KEEL_BUSYBOX:-/bin/busybox}
fails=0
fail() { echo "FAIL tools.mkcpio: $*"; fails=$((fails + 1)); }
[[ -x $bb ]] || { echo "FAIL tools.mkcpio: $bb missing (Debian busybox-static)"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf -- "$tmp"' EXIT

printf 'hello\nworld\n' >"$tmp/src"
"$mkcpio" dir:bin:0755 file:bin/f:0644:"$tmp/src" slink:bin/l:f nod:dev/console:0600:c:5:1 \
    >"$tmp/a.cpio" || fail "mkcpio failed"
(( $(stat -c %s "$tmp/a.cpio") % 4 == 0 )) || fail "archive size not a multiple of 4"

want=$'bin\nbin/f\nbin/l\ndev/console'
got=$("$bb" cpio -t <"$tmp/a.cpio" 2>/dev/null)
[[ $got == "$want" ]] || fail "listing: got '$got', want '$want'"
listing=$("$bb" cpio -tv <"$tmp/a.cpio" 2>/dev/null)
grep -qE '^drwxr-xr-x 0/0 +0 .* bin$' <<<"$listing" || fail "dir entry: $listing"
grep -qE '^-rw-r--r-- 0/0 +12 .* bin/f$' <<<"$listing" || fail "file entry: $listing"
grep -qE '^lrwxrwxrwx .* bin/l -> f$' <<<"$listing" || fail "link entry: $listing"
grep -qE '^crw------- .* dev/console$' <<<"$listing" || fail "device entry: $listing"

mkdir "$tmp/x"
(cd "$tmp/x" && "$bb" cpio -id bin/f bin/l <"$tmp/a.cpio" 2>/dev/null) || fail "extraction failed"
cmp -s "$tmp/src" "$tmp/x/bin/f" || fail "file contents differ"
[[ $(readlink "$tmp/x/bin/l") == f ]] || fail "link target is not 'f'"

# The device's header: magic, then 13 fields of 8 hex digits; rdevmajor and
# rdevminor are the 10th and 11th (buffer-format.rst).
hdr=$(grep -ao '070701[0-9A-F]\{104\}dev/console' "$tmp/a.cpio" | head -n 1)
[[ ${hdr:78:8} == 00000005 && ${hdr:86:8} == 00000001 ]] ||
    fail "dev/console rdev: '${hdr:78:8}' '${hdr:86:8}', want 5 and 1"
grep -aq 'TRAILER!!!' "$tmp/a.cpio" || fail "no trailer"

for bad in 'dir:x' 'file:x:0644:/nonexistent' 'nod:x:0600:q:1:1' 'dir:x:9z' 'what:x:1'; do
    err=$("$mkcpio" "$bad" 2>&1 >/dev/null)
    st=$?
    [[ $st == 1 && $err == mkcpio:* ]] || fail "entry '$bad': status $st, message '$err'"
done

((fails == 0)) && echo "tools.mkcpio: passed"
exit $((fails != 0))
