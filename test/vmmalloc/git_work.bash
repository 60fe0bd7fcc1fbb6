# git_work.bash -- the git workload of prog_git.sh (not a test itself),
# run by bash in an empty directory, under libvmmalloc or not: builds a
# repository of three commits with fixed authors and dates (so that every
# hash is the same on every run), then prints the log with --stat, a
# diff, the tree, fsck before and after gc, object counts and a checksum
# of git archive.
set -eu
export HOME=$PWD GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="A U Thor" GIT_AUTHOR_EMAIL=author@example.com
export GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL=committer@example.com
export GIT_AUTHOR_DATE="2020-01-01T00:00:00+0000"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
export TZ=UTC LC_ALL=C

git init -q -b main repo
cd repo
for i in $(seq 40); do seq "$i" 7 $((i * 300)) > "file$i.txt"; done
mkdir -p src/lib
for i in 1 2 3; do
	printf 'int f%d(int x)\n{\n\treturn x * %d;\n}\n' "$i" "$i" > "src/lib/f$i.c"
done
git add -A
git commit -q -m "first: 43 files"

export GIT_AUTHOR_DATE="2020-01-02T12:00:00+0000" GIT_COMMITTER_DATE="2020-01-02T12:00:00+0000"
sed -i 's/7/seven/g' file3.txt file13.txt
git rm -q file5.txt file6.txt
git mv file7.txt src/moved.txt
seq 1 100000 > big.txt
git add -A
git commit -q -m "second: edit, remove, move, a big file"
git tag -a -m "version one" v1

export GIT_AUTHOR_DATE="2020-01-03T00:00:00+0000" GIT_COMMITTER_DATE="2020-01-03T00:00:00+0000"
git checkout -q -b topic
sed -i '500,600d' big.txt
git commit -q -am "third: on a branch"
git checkout -q main
git merge -q --no-ff -m "merge topic" topic

git log --stat --format='%H %an <%ae> %ad%n%s' --date=iso-strict
git diff --stat v1~1 HEAD
git diff v1 HEAD -- big.txt | head -n 20
git ls-tree -r HEAD
git fsck --full --strict --no-progress
echo "fsck ok"
git gc -q
git fsck --full --no-progress
echo "fsck after gc ok"
git count-objects -v | grep -E '^(count|in-pack|packs|garbage):'
git rev-list --all --objects | wc -l
git archive --format=tar v1 | sha256sum
git grep -c seven HEAD -- '*.txt'
git describe --tags
