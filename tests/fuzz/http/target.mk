# wh_fetch is libcurl's; the server in fuzz.c is a thread.
fuzz_libs_http := $(shell pkg-config --libs libcurl) -pthread
