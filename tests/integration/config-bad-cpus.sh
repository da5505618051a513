#!/usr/bin/env bash
# config.bad-cpus: cpus must be a number from 1 to 64.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = builtin
cpus = x
CFG
keel_run --cfg "$CFG"
expect_cfg_error 'cpus = x' "bad value 'x' for 'cpus': expected a number from 1 to 64"
finish
