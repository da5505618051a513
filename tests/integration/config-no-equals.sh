#!/usr/bin/env bash
# config.no-equals: a line without '=' is an error on its line.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = builtin
cpus 1
CFG
keel_run --cfg "$CFG"
expect_cfg_error 'cpus 1' "expected 'key = value'"
finish
