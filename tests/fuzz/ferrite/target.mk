# The Ferrite host API and what it stands on are in the installer, not in
# the two libraries.
fuzz_extra_ferrite := installer/ferrite_host.c installer/kvstore.c installer/grants.c
