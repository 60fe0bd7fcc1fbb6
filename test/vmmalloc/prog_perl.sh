#!/usr/bin/env bash
# prog_perl.sh BUILD -- perl (unmodified) under libvmmalloc prints what it
# prints on glibc's malloc: work.pl (a 200000-key hash, regular
# expressions, substitutions, sorts, nested data, an 8 MiB string; MD5
# checksums of the results), VMMALLOC_FORK 1; and a perl that forks
# children which build hashes and report through pipes, VMMALLOC_FORK 1
# and 2.
source "$(dirname "$0")/helpers.bash" "$@"
need perl perl

same "perl work.pl" 1 256M -- perl "$TSRC/work.pl"
forker='
use strict; use warnings;
my @kids;
for my $k (1 .. 6) {
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork // die "fork: $!";
	if ($pid == 0) {
		close $r;
		my %h = map { ("k$k-$_" => $_ * $k) } 1 .. 20000;
		my $s = 0; $s += $h{$_} for sort keys %h;
		print $w "child $k: ", scalar(keys %h), " keys, sum $s\n";
		exit 0;
	}
	close $w;
	push @kids, [$pid, $r];
}
for (@kids) {
	my ($pid, $r) = @$_;
	print while <$r>;
	waitpid($pid, 0);
	print "status $?\n";
}
my @a = map { [$_, "x" x ($_ % 100)] } 1 .. 50000;
print "parent: ", scalar(@a), " rows\n";
'
for mode in 1 2; do
	same "perl with 6 forked children, VMMALLOC_FORK=$mode" "$mode" 64M -- \
		perl -e "$forker"
done
finish
