#!/usr/bin/env bash
# config.bad-memory: memory must be 16M..256G and a multiple of 2M; 5M is too
# small.  Only the start of the message is checked.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = builtin
cpus = 1
memory = 5M
CFG
keel_run --cfg "$CFG"
expect_cfg_error 'memory = 5M' 'bad value'
finish
