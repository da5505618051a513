#!/usr/bin/env bash
# console.shell: the serial console's input path and the debug shell,
# driven through QEMU's serial line while a guest prints.  Keel's console is
# COM2 (keel.cfg console = com2), a QEMU pipe chardev: the test writes to
# con.in and reads con.out.  The echo guest prints "tick N" every 50 ms and
# echoes the lines it reads from its virtual COM1.  The test:
#   - types a line into vm0's console and sees the guest echo it;
#   - switches to the shell (Ctrl-A three times) and runs every reading
#     command with good and bad arguments, checking each answer, plus line
#     editing (backspace, history);
#   - checks that no guest line came out while the shell had the line, and
#     that after switching back every tick arrived, in order, none missing;
#   - ends the guest by typing "quit" into its console (spare), or stops it
#     from the shell while its output is held (shared): the held lines still
#     come out, before Keel's end; with two VMs (twovms), the input moves
#     vm0 -> vm1 -> the shell -> vm0, `vm restart 1` boots vm1 again while
#     vm0 runs on, vm0 quits and `poweroff` stops vm1.
#   console-shell.sh spare|shared: with a spare CPU (3 CPUs, vm0 on 2: the
#   shell runs on cpu2) or without (2 CPUs: the shell runs in cpu0's run
#   loop, between vm0.0's exits).
# Waits fail on lack of progress (no new console output for STALL seconds,
# or MAX_LINES lines without the awaited one), not on a clock.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=console_lib.sh
source "$(dirname "$0")/console_lib.sh"
how=${1:?usage: console-shell.sh spare|shared|twovms}
require_guest echo
if [[ $how == spare ]]; then
    layout=(--guest echo --cpus 3 --set cpus=2)
    ncpus=3 cpu0_tail='' cpu2_check='^  cpu2 .*idle, serial console and shell'
elif [[ $how == shared ]]; then
    layout=(--guest echo --cpus 2)
    ncpus=2 cpu0_tail=', serial console and shell' cpu2_check='^  cpu1 '
else
    write_cfg <<'CFG'
vm0.guest = echo.elf
vm0.cpus = 1
vm1.guest = echo.elf
vm1.cpus = 1
CFG
    layout=(--cpus 3 --cfg "$CFG" --file "$GUESTS/echo.elf")
fi

# COM1 is silent once Keel runs (its console is COM2), so the launcher's
# --stall is off: the waits watch COM2 instead (console_lib.sh).
console_start "${layout[@]}"
ESC3='\x01\x01\x01'

# cmd LINE REGEX...: types LINE into the shell; each REGEX must match a line
# of the answer (between LINE's echo and the next prompt).
cmd() {
    local line=$1 from re
    shift
    from=$(lines)
    send "$line\r"
    # line from+1 is the prompt with the command echoed; the answer ends
    # at the next prompt
    wait_for '^keel> ' "$((from + 1))" || return 1
    for re; do
        tail -n "+$((from + 1))" "$CON" | grep -qE -- "$re" || fail "'$line': no line matching '$re'"
    done
}

wait_for "${KEEL}took the machine" || finish
wait_for 'vm0\| tick 3$' || finish

# With two VMs: the input goes vm0 -> vm1 -> the shell -> vm0, and each
# line reaches the VM that had the input only.
if [[ $how == twovms ]]; then
    wait_for 'vm1\| tick 3$' || finish
    send 'to vm0\r'
    wait_for '^vm0\| echo: to vm0$' || finish
    from=$(lines)
    send "$ESC3"
    wait_for "${KEEL}console: input to vm1 \\(vm1\\)" "$from" || finish
    send 'to vm1\r'
    wait_for '^vm1\| echo: to vm1$' || finish
    from=$(lines)
    send "$ESC3"
    wait_for '^keel> ' "$from" || finish
    shell_start=$(lines)
    cmd vms '^vm0 \(vm0\): guest [^ ]*echo\.elf, running, 1 vCPU,' '^vm1 \(vm1\): guest [^ ]*echo\.elf, running, 1 vCPU,'
    cmd cpus '^  cpu1 +apic 1 +online +vm1\.0 ' '^  cpu2 .*idle, serial console and shell'
    cmd 'vcpu vm1.0' '^vm1\.0 on cpu1: (running|halted); state as of its last exit'
    cmd 'mem vm1 0x100000 16' '^000000100000: 02 b0 ad 1b '
    # vm1 restarts (its guest boots again, its ticks from 1); vm0 runs on
    from=$(lines)
    cmd 'vm restart 1' '^vm restart: vm1 \(vm1\) restarting$'
    # (Keel's line may follow the prompt on the same line: no anchor)
    wait_for 'keel: vm1 \(vm1\) restart 1: from the shell' "$from" || finish
    cmd vms '^vm1 \(vm1\): guest [^ ]*echo\.elf, running, 1 vCPU,'
    shell_end=$(lines)
    # vm0 is told to quit; vm1 is still running when the shell powers off
    from=$(lines)
    send "$ESC3"
    wait_for "${KEEL}console: input to vm0 \\(vm0\\)" "$from" || finish
    send 'quit\r'
    wait_for '^vm0\| echo: quit$' "$from" || finish
    wait_for "${KEEL}vm0 \\(vm0\\) exited with status 0" "$from" || finish
    from=$(lines)
    send "$ESC3$ESC3"
    wait_for "${KEEL}console: input to the shell" "$from" || finish
    wait_for '^keel> ' "$from" || finish
    send 'poweroff\r'
    console_end
    held=$(sed -n "$((shell_start + 1)),${shell_end}p" "$CON" | grep -c '^vm[01]| ')
    ((held == 0)) || fail "$held guest lines came out while the shell had the console"
    for vm in 0 1; do
        # vm1 restarted: its ticks count again from 1 after the restart
        mapfile -t ticks < <(grep -oE "^vm$vm\\| tick [0-9]+\$" "$CON" | grep -oE '[0-9]+$' |
                             awk -v vm=$vm 'vm == 1 && $1 == 1 { n = 0 } { t[n++] = $1 } END { for (i = 0; i < n; i++) print t[i] }')
        for ((i = 0; i < ${#ticks[@]}; i++)); do
            ((ticks[i] == i + 1)) || { fail "vm$vm: tick $((i + 1)) missing or out of order"; break; }
        done
    done
    LOG=$CON
    forbid_line 'vm1| echo: to vm0'
    forbid_line 'vm0| echo: to vm1'
    expect_line 'keel: vm0 (vm0) exited with status 0'
    expect_line 'poweroff: stopping every VM'
    (($(grep -c '^vm1| tick 1$' "$CON") == 2)) || fail "vm1 did not boot again after 'vm restart 1'"
    forbid_match "${KEEL}vm0 \\(vm0\\) restart"
    expect_line 'keel: vm1 (vm1) stopped: poweroff from the shell'
    expect_end 112 # vm1's: the lowest-numbered VM whose status is not 0
    finish
fi

# 1. typing into the VM console reaches the guest
send 'hello guest\r'
wait_for '^vm0\| echo: hello guest$' || finish
# a pasted line much longer than the 16-byte FIFO arrives whole, in order
long=''
for ((i = 10; i < 60; i++)); do long+="$i"; done
send "$long\r"
wait_for "^vm0\\| echo: $long\$" || finish
# a lone Ctrl-A is not an escape: it reaches the guest
send 'x\x01y\r'
wait_for $'^vm0\\| echo: x\x01y$' || finish

# 2. the shell
from=$(lines)
send "$ESC3"
wait_for "${KEEL}console: input to the shell" "$from" || finish
wait_for '^keel> ' "$from" || finish
shell_start=$(lines)
cmd help 'help +this list' 'vcpu VM\.N\|N +a vCPU' 'mem VM GPA LEN +hex dump' \
    'poweroff +' 'Ctrl-A three times'
cmd cpus "^$ncpus CPUs online; svm features: np" "^  cpu0 +apic 0 +online +vm0\\.0 \\((running|halted)\\)$cpu0_tail\$" \
    '^  cpu1 +apic 1 +online +vm0\.1 \(waiting for start\)$' "$cpu2_check" \
    '^serial console: 0 receiver overruns$'
cmd vms '^vm0 \(vm0\): guest [^ ]*echo\.elf, running, 2 vCPUs, 64 MiB' '^  vm0\.0 on cpu0: (running|halted)' \
    '^  console input: 0 bytes waiting for its UART, 0 dropped \(queue full\)$'
cmd 'vcpu 0.0' '^vm0\.0 on cpu0: (running|halted); state as of its last exit' \
    '^  rip [0-9a-f]{16} rflags [0-9a-f]{16}$' '^  cr0 [0-9a-f]{16} cr3 [0-9a-f]{16} cr4 [0-9a-f]{16} efer [0-9a-f]{16}$' \
    '^  rax [0-9a-f]{16} rcx' '^  r12 [0-9a-f]{16}' '^  pending: highest irr (none|0x[0-9a-f]+), highest isr' '^  exits:.* io=[0-9]+'
cmd 'vcpu vm0.1' '^vm0\.1 on cpu1: waiting for start' '^  exits: none'
cmd 'vcpu 5' '^vcpu: vm0 has no vCPU 5 \(it has 2\)$'
cmd 'vcpu x.1' "^error: 'x\.1' is not a vCPU"
cmd 'apic 0' '^vm0\.0 APIC: (xAPIC|x2APIC|disabled), IA32_APIC_BASE 0xfee00[0-9a-f]00$' '^  id [0-9a-f]{8} ldr [0-9a-f]{8} dfr [0-9a-f]{8} tpr [0-9a-f]{2} ppr [0-9a-f]{2}$' \
    '^  irr( [0-9a-f]{8}){8}$' '^  isr( [0-9a-f]{8}){8}$' '^  tmr( [0-9a-f]{8}){8}$' '^  acceleration: (emulated|accelerated)'
cmd 'apic vm3.0' '^apic: no vm3 \(1 VM: vm0\.\.vm0\)$'
cmd inhibits '^vm0 \(vm0\): VM-wide reasons: .*; acceleration (on|off) \(toggled [0-9]+ times\)' \
    '^  vm0\.0: (emulated|accelerated)' '^  vm0\.1: no decision yet'
cmd iommu '^iommu: none \(Keel runs without an IOMMU'
cmd stats '^exits by reason, all vCPUs: since boot' '^  io +[0-9]+ +[0-9]+ +[0-9]+$'
cmd stats '^  io +[0-9]+ +[0-9]+ +[0-9]+$'
cmd 'mem vm0 0x100000 32' '^000000100000: ([0-9a-f]{2} ){16}\|.{16}\|$' '^000000100010: '
cmd 'mem 0 0x3fffff8 16' "^mem: 0x3fffff8\.\.0x4000007 is not inside vm0's RAM \(0\.\.0x3ffffff\)$"
cmd 'mem 0 0 5000' "^error: mem: '5000' is not a length from 1 to 4096$"
cmd 'mem 0 0xfffffffffffffff0 0x20' '^error: mem: the range wraps'
cmd 'log debug' '^log level: debug$'
cmd 'log info' '^log level: info$'
cmd 'log loud' '^error: log: unknown level'
cmd 'bogus thing' "^error: unknown command 'bogus'"
cmd 'vm stop 7' '^vm stop: no vm7'
cmd 'vm start 0' "^error: vm: the subcommands are 'vm stop VM' and 'vm restart VM'"
cmd 'vm restart 7' '^vm restart: no vm7'
cmd 'vm restart' '^error: usage: vm restart VM$'
cmd 'vm restart x' "^error: vm restart: 'x' is not a VM"
# the exit trace: off until asked, then each vCPU's last exits and injections
cmd 'trace dump' '^trace: never turned on'
cmd 'trace on' '^trace: on \(256 entries per vCPU\)$'
sleep 1
cmd 'trace dump 4' '^trace: on, started [0-9]+ ms ago$' '^vm0\.0: last [1-4] entr(y|ies) \(oldest first' \
    '^  +[0-9]+ us rip [0-9a-f]{16} (exit|inject) ' '^vm0\.1: last 0 entries'
cmd 'trace off' '^trace: off '
cmd 'trace dump 2' '^trace: off, started' '^vm0\.0: last 2 entries'
cmd 'trace dump 300' "^error: trace dump: '300' is not a count from 1 to 256$"
cmd 'trace maybe' '^error: usage: trace on\|off\|dump \[N\]$'
cmd 'trace on 5' '^error: usage: trace on\|off\|dump \[N\]$'
# line editing: backspace, Ctrl-U, then the history (Up twice: "vms")
n_vms=$(grep -c '^vm0 (vm0): guest' "$CON")
cmd 'vmx\x7fs' '^vm0 \(vm0\): guest'
cmd 'junk\x15cpus' "^$ncpus CPUs online"
cmd '\x1b[A\x1b[A' '^vm0 \(vm0\): guest'
(($(grep -c '^vm0 (vm0): guest' "$CON") == n_vms + 2)) || fail "line editing: 'vms' did not run twice more"
shell_end=$(lines)

# 3. back to the VM: what it printed meanwhile comes out, complete
send "$ESC3"
wait_for "${KEEL}console: input to vm0 \(vm0\)" "$shell_end" || finish
last=$(grep -oE '^vm0\| tick [0-9]+$' "$CON" | tail -n 1 | grep -oE '[0-9]+$')
wait_for "^vm0\\| tick $((last + 20))\$" "$shell_end" || finish
if [[ $how == spare ]]; then
    send 'quit\r'
    wait_for '^vm0\| echo: quit$' || finish
    end_status=0 end_line='keel: vm0 (vm0) exited with status 0'
else
    # back to the shell, and stop the VM from there: what it printed in
    # the meantime still comes out before Keel ends
    from=$(lines)
    send "$ESC3"
    wait_for "${KEEL}console: input to the shell" "$from" || finish
    last=$(grep -oE '^vm0\| tick [0-9]+$' "$CON" | tail -n 1 | grep -oE '[0-9]+$')
    sleep 2
    send 'vm stop 0\r'
    end_status=112 end_line='keel: vm0 (vm0) stopped: from the shell'
fi
console_end

# No guest line while the shell had the line ...
held=$(sed -n "$((shell_start + 1)),${shell_end}p" "$CON" | grep -c '^vm0| ')
((held == 0)) || fail "$held guest lines came out while the shell had the console"
# ... but it kept printing, and every tick arrived once, in order.
mapfile -t ticks < <(grep -oE '^vm0\| tick [0-9]+$' "$CON" | grep -oE '[0-9]+$')
for ((i = 0; i < ${#ticks[@]}; i++)); do
    if ((ticks[i] != i + 1)); then
        fail "tick $((i + 1)) missing or out of order (line $i says ${ticks[i]})"
        break
    fi
done
held_ticks=$(sed -n "$((shell_end + 1)),\$p" "$CON" | grep -c '^vm0| tick')
((held_ticks >= 20)) || fail "only $held_ticks ticks after the shell"
forbid_line 'dropped while the shell had the console'
LOG=$CON
expect_line "$end_line"
expect_end "$end_status"
if [[ $how == shared ]]; then
    # the ticks held during the second shell session came out at the end
    after=$(sed -n '/keel: all VMs ended/,$p' "$CON" | grep -c '^vm0| tick')
    ((ticks[-1] > last && after == 0)) ||
        fail "the ticks held when the VM was stopped did not come out before its end (last $last, ${ticks[-1]})"
fi
finish
