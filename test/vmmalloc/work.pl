# work.pl -- the Perl workload of prog_perl.sh, which runs it under
# libvmmalloc and under glibc's malloc and compares the output: a hash of
# 200000 keys (built, partly deleted, sorted by value), regular expressions
# with captures and substitutions over a 600 KB string, split/join, sort of
# numbers and strings, nested data; prints counts and MD5 checksums, all
# deterministic (keys are sorted before anything depends on their order).
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my %h;
$h{"key$_"} = ($_ * 7919) % 1000003 for 1 .. 200000;
delete $h{"key" . ($_ * 3)} for 1 .. 50000;
my @byval = sort { $h{$a} <=> $h{$b} || $a cmp $b } keys %h;
print "hash: ", scalar(keys %h), " keys, first @byval[0..2], last $byval[-1]\n";
print "hash md5: ", md5_hex(join ",", map { "$_=$h{$_}" } @byval), "\n";

my $text = join " ", map { "w$_:" . ($_ * 37 % 1009) } 1 .. 60000;
my @caps = $text =~ /w(\d+)7:(\d+)/g;
print "regex: ", scalar(@caps), " captures, md5 ", md5_hex(join "|", @caps), "\n";
(my $swapped = $text) =~ s/(\d)(\d)/$2$1/g;
print "subst: length ", length($swapped), ", md5 ", md5_hex($swapped), "\n";
my $n = () = $text =~ /\b(?:w1\d*):(\d{3})\b/g;
print "matches: $n\n";

my @nums = sort { $a <=> $b } map { ($_ * 2654435761) % 4294967296 } 1 .. 100000;
my @strs = sort map { scalar reverse "s$_" } 1 .. 100000;
print "sort: $nums[0] $nums[50000] $nums[-1] $strs[0] $strs[-1]\n";

my %tree;
for my $i (1 .. 30000) {
	push @{ $tree{ $i % 97 }{ $i % 13 } }, [ $i, "v" x ($i % 50) ];
}
my $cells = 0;
my $chars = 0;
for my $i (sort { $a <=> $b } keys %tree) {
	for my $j (sort { $a <=> $b } keys %{ $tree{$i} }) {
		$cells++;
		$chars += length($_->[1]) for @{ $tree{$i}{$j} };
	}
}
print "tree: $cells cells, $chars chars\n";
my $big = "x" x (8 << 20);
substr($big, $_ * 4096, 1, "y") for 0 .. 2047;
print "big: ", ($big =~ tr/y//), " y of ", length($big), "\n";
