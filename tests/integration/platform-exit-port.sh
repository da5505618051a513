#!/usr/bin/env bash
# platform.exit-port: with exit_port = yes, a guest that leaves through the
# isa-debug-exit compatible port 0xf4 (writing V) ends its VM with status
# 2V+1, as QEMU would exit; without it the port is an unclaimed one.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest hello

keel_run --guest hello --cpus 1 --append exit=port --set exit_port=yes
expect_started
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_match "${KEEL}vm0 \(vm0\) wrote 0 to the exit port: status 1"
expect_end 1
finish
