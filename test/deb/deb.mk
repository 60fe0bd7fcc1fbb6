# deb.mk -- Debian packages (debian/): built with dpkg-buildpackage, checked
# by lintian, installed, used and removed again (check.sh).
#
#   make deb          the packages, in $(BUILD)/deb/
#   make check-deb    make deb, then check.sh (as root: it installs them
#                     with dpkg -i and purges them; .ci/run calls it)
#
# Owns $(BUILD)/deb/ (dpkg-buildpackage itself writes next to the source
# tree, from where the files are moved).

.PHONY: deb check-deb
deb:
	test/deb/deps.sh
	dpkg-buildpackage -us -uc -b
	mkdir -p $(BUILD)/deb
	mv ../vmem_*.changes ../vmem_*.buildinfo ../*vmem*_*.deb \
		../*vmmalloc*_*.deb $(BUILD)/deb/
	fakeroot debian/rules clean

check-deb: deb
	test/deb/check.sh $(BUILD)
