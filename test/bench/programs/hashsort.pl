# hashsort.pl -- the perl program of test/bench/programs.sh: builds a big
# hash of strings and arrays, sorts it two ways, regroups it into a hash
# of growing arrays, rewrites every value and deletes most of it again,
# and prints a digest of what it computed (the same under every correct
# malloc). Debian's perl uses the system malloc for everything.
#
#   perl hashsort.pl [KEYS]     (default 200000)
use strict;
use warnings;

my $n = shift // 200000;
my %h;
my $x = 12345;
for my $i (1 .. $n) {
	$x = ($x * 1103515245 + 12345) % 2147483648;
	my $k = sprintf("k%07d-%x", $i, $x);
	$h{$k} = [$x % 1000, "v" x (1 + $x % 300), $i];
}
my @by_key = sort keys %h;
# by value: sort packed strings (a new string per key), then unpack them
my @by_val = map { substr($_, 4) }
	sort map { sprintf("%04d%s", $h{$_}[0], $_) } @by_key;
my %groups;
push @{$groups{$h{$_}[0] % 499}}, $_ for @by_val;
my $sum = 0;
for my $g (sort { $a <=> $b } keys %groups) {
	$sum = ($sum * 31 + scalar(@{$groups{$g}}) + length($groups{$g}[0]))
		% 4294967291;
}
for my $k (@by_key) {		# rewrite: every value string is replaced
	my $v = $h{$k};
	$v->[1] = substr($k . $v->[1], 0, 8 + $v->[0] % 200) . $v->[2];
	$sum = ($sum + length($v->[1])) % 4294967291;
}
delete $h{$_} for @by_val[0 .. $#by_val * 3 / 4];
%groups = ();
printf "%d keys, %d left, %s first, %s last, sum %d\n", $n,
	scalar(keys %h), $by_val[0], $by_val[-1], $sum;
