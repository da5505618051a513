#!/usr/bin/env bash
# boot.hello-guest: `tools/keel run --guest hello`, the quick built-in guest,
# on 4 CPUs (the default); every vCPU says hello and the VM exits with status 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest hello

keel_run --guest hello
expect_started
expect_line 'keel: took 4 CPUs'
expect_line 'vm0| hello from vCPU 3 of 4'
expect_line 'keel: vm0 (vm0) exited with status 0'
forbid_line ' stopped: '
expect_end 0
finish
