#!/usr/bin/env bash
# config.missing-guest: a guest image that is not on the ESP is an error on
# the line that names it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = nope.elf
cpus = 1
CFG
keel_run --cfg "$CFG"
expect_cfg_error 'guest = nope.elf' "guest image 'nope.elf' not found"
finish
