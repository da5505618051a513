#!/usr/bin/perl
# Instruction profile of keel.efi from QEMU's translation log (tools/lib/profile.sh).
#
# QEMU run with -d in_asm,exec,nochain logs every translated block once
# ("IN:" and one line per guest instruction) and every executed block
# ("Trace N: host [cs_base/pc/flags/cflags] ..."); with nochain every block
# entered is logged, so (blocks executed) x (instructions in the block) is
# the exact instruction count per address.  Addresses inside keel.efi
# (base .. base + size) are folded into keel.so's functions (nm -n, keel.so
# is linked at 0); the rest is "guest" (the nested guest's code) or "other".
#
# usage: profile.pl NM_FILE BASE LOG [LOG2]
# With LOG2 the figures are LOG2 minus LOG (two runs that differ only in
# the iteration count: what is left is the cost of the extra iterations).
use strict;
use warnings;

my ($nm_file, $base_hex, $log1, $log2) = @ARGV;
die "usage: profile.pl NM_FILE BASE LOG [LOG2]\n" unless defined $log1;
my $base = hex($base_hex);

my (@sym_addr, @sym_name);
open(my $nm, '<', $nm_file) or die "profile.pl: $nm_file: $!\n";
while (<$nm>) {
    next unless /^([0-9a-f]+) [tT] (\S+)/;
    push @sym_addr, hex($1);
    push @sym_name, $2;
}
close($nm);
die "profile.pl: no text symbols in $nm_file\n" unless @sym_addr;
my $text_end = $sym_addr[-1] + 0x1000;

sub symbol_of {
    my ($pc) = @_;
    my $off = $pc - $base;
    if ($off < 0 || $off >= $text_end) {
        return 'guest' if $pc < 0x40000000 && $pc >= 0x100000 && $pc < 0x1000000;
        return 'other';
    }
    my ($lo, $hi) = (0, $#sym_addr);
    return 'other' if $off < $sym_addr[0];
    while ($lo < $hi) {
        my $mid = int(($lo + $hi + 1) / 2);
        if ($sym_addr[$mid] <= $off) { $lo = $mid } else { $hi = $mid - 1 }
    }
    return $sym_name[$lo];
}

# One log: instructions per function and the total.
sub profile {
    my ($file) = @_;
    my (%insns, %execs, %per_sym);
    my ($cur, $n) = (undef, 0);
    open(my $fh, '<', $file) or die "profile.pl: $file: $!\n";
    while (my $l = <$fh>) {
        if ($l =~ /^IN:/) {
            $cur = undef;
            $n = 0;
            next;
        }
        if ($l =~ /^0x([0-9a-f]+):\s/) {
            $cur = hex($1) unless defined $cur;
            $n++;
            $insns{$cur} = $n;
            next;
        }
        if ($l =~ /^Trace \d+: \S+ \[[0-9a-f]+\/([0-9a-f]+)\//) {
            $execs{hex($1)}++;
            next;
        }
        $cur = undef if $l =~ /^\s*$/;
    }
    close($fh);
    my $total = 0;
    for my $pc (keys %execs) {
        my $c = $execs{$pc} * ($insns{$pc} // 1);
        $per_sym{symbol_of($pc)} += $c;
        $total += $c;
    }
    return (\%per_sym, $total);
}

my ($p1, $t1) = profile($log1);
my ($p, $t) = ($p1, $t1);
if (defined $log2) {
    my ($p2, $t2) = profile($log2);
    my %d;
    $d{$_} = ($p2->{$_} // 0) - ($p1->{$_} // 0) for (keys %$p1, keys %$p2);
    ($p, $t) = (\%d, $t2 - $t1);
}
printf "%12s %6s  %s\n", 'instructions', 'share', 'function';
for my $s (sort { $p->{$b} <=> $p->{$a} } keys %$p) {
    next if $p->{$s} == 0;
    printf "%12d %5.1f%%  %s\n", $p->{$s}, $t ? 100.0 * $p->{$s} / $t : 0, $s;
}
printf "%12d %5.1f%%  %s\n", $t, 100.0, 'total';
