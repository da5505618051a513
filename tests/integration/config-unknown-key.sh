#!/usr/bin/env bash
# config.unknown-key: a key Keel does not know is an error on its line.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = builtin
cpus = 1
foo = 1
CFG
keel_run --cfg "$CFG"
expect_cfg_error 'foo = 1' "unknown key 'foo'"
finish
