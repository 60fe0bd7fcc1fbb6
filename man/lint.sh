#!/usr/bin/env bash
# lint.sh -- checks the manual pages in this directory.
#
# A page is formatted with `man --warnings -E UTF-8 -l PAGE`; groff's
# warnings go to stderr, and any output there fails the page. A link page
# (one line, ".so manN/NAME.N") passes when NAME.N is a page here. When
# mandoc is installed, every page that is not a link must also pass
# `mandoc -T lint -W warning` without a message.
#
# `man` is in Debian's man-db package (with groff-base); mandoc is optional
# (apt-get install man-db mandoc). Prints one line per page and a summary;
# exit status 1 if any page failed.
set -u

cd "$(dirname "$0")" || exit 1
if ! command -v man >/dev/null 2>&1; then
	echo "lint.sh: 'man' not found: install Debian's man-db" >&2
	exit 1
fi
have_mandoc=false
command -v mandoc >/dev/null 2>&1 && have_mandoc=true

pass=0
fail=0

# ok PAGE NOTE / bad PAGE REASON [DETAILS]: one line per page
ok() {
	printf 'ok   %s%s\n' "$1" "${2:+ ($2)}"
	pass=$((pass + 1))
}
bad() {
	printf 'FAIL %s: %s\n' "$1" "$2"
	[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/     /'
	fail=$((fail + 1))
}

for page in *.[1-8]; do
	[ -f "$page" ] || continue
	first=$(head -n 1 "$page")
	case $first in
	.so\ *)
		target=${first#.so }
		file=${target##*/}
		if [ "$(wc -l < "$page")" -ne 1 ]; then
			bad "$page" "a .so link must be one line"
		elif [[ ! $target =~ ^man([1-8])/[^/]+\.([1-8])$ ]] ||
				[ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ]; then
			bad "$page" "'$target' is not of the form manN/NAME.N"
		elif [ ! -f "$file" ]; then
			bad "$page" "links to $target, but there is no $file here"
		elif head -n 1 "$file" | grep -q '^\.so '; then
			bad "$page" "links to $target, which is a link itself"
		else
			ok "$page" "-> $target"
		fi
		continue
		;;
	esac
	errors=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	if [ -n "$errors" ]; then
		bad "$page" "man --warnings" "$errors"
		continue
	fi
	if $have_mandoc; then
		errors=$(mandoc -T lint -W warning "$page" 2>&1)
		if [ -n "$errors" ]; then
			bad "$page" "mandoc -T lint" "$errors"
			continue
		fi
		ok "$page" "man, mandoc"
	else
		ok "$page" "man"
	fi
done

$have_mandoc || echo "(mandoc is not installed: pages checked with man only)"
echo "man: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
