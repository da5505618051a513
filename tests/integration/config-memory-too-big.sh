#!/usr/bin/env bash
# config.memory-too-big: a memory size keel.cfg allows (16M..256G) but the
# machine cannot give (8 GiB on a 2 GiB machine) is refused before anything
# changes, naming keel.cfg's memory line (docs/config.md).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
guest = builtin
cpus = 1
memory = 8G
CFG
keel_run --cfg "$CFG" --machine-mem 2G
expect_cfg_error 'memory = 8G' 'memory = 8192 MiB for vm0: the machine cannot give it'
finish
