#!/usr/bin/env bash
# boot.default-guest: `tools/keel run` without a guest boots Linux (Debian's
# cloud kernel and the project's initramfs) on 4 vCPUs and leaves the user
# at its shell: the prompt shows though it has no newline (the console
# input's VM goes out byte by byte), what is typed reaches the shell and
# its echo comes back, and `exit 3` ends the run with status 3 (the shell's
# status through keel-status and Keel's power-off status port, then ACPI
# S5).  Keel's console is COM2, a pipe the test types into
# (console_lib.sh); the launcher's options are the defaults otherwise.
# linux.reboot (argument "reboot", 2 vCPUs): `reboot` at the prompt
# restarts the VM (Linux resets through the FADT reset register, 0xCF9;
# on_reboot = restart), Linux boots again to its prompt and the shell there
# answers; `exit 3` then ends the run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=console_lib.sh
source "$(dirname "$0")/console_lib.sh"
require_keel
require_linux_images

how=${1:-default}
cpus=4
if [[ $how == reboot ]]; then
    cpus=2
    console_start --cpus 2
else
    # shellcheck disable=SC2119 # no options: the launcher's defaults
    console_start
fi
wait_for "${KEEL}took $cpus CPUs" || finish
wait_for "^vm0\\| keel-linux: Linux [^ ]+, $cpus CPU\\(s\\) online, [0-9]+ kB memory$KMSG_TAIL\$" || finish
# the prompt, alone on its line and without a newline
wait_for '^vm0\| / # ' || finish
if [[ $how == reboot ]]; then
    sleep 2 # ash's cursor-position query (ESC [6n) goes unanswered here: let it give up
    send 'reboot\r'
    wait_for "${KEEL}vm0 \\(vm0\\) restart 1: reset control register 0xCF9 \\(value 0x6\\)" || finish
    from=$(lines)
    wait_for "^vm0\\| keel-linux: Linux [^ ]+, $cpus CPU\\(s\\) online, [0-9]+ kB memory$KMSG_TAIL\$" "$from" || finish
    wait_for '^vm0\| / # ' "$from" || finish
fi
sleep 2
from=$(lines)
# shellcheck disable=SC2016 # expanded by the guest's shell
send 'echo "six times seven is $((6*7))"; grep -c ^processor /proc/cpuinfo\r'
# the echo of what was typed, then the answers
wait_for '^vm0\| .*echo "six times seven is \$\(\(6\*7\)\)"; grep -c' "$from" || finish
wait_for '^vm0\| six times seven is 42$' "$from" || finish
wait_for "^vm0\\| $cpus\$" "$from" || finish
send 'exit 3\r'
console_end
LOG=$CON
expect_started
expect_line 'vm0| keel-linux: powering off (status 3)'
expect_match "${KEEL}vm0 \\(vm0\\) powered off \\(ACPI sleep state S5\\)"
forbid_match '^vm0\| .*(Kernel panic|invalid opcode|general protection fault|BUG:|Oops)'
expect_end 3
finish
