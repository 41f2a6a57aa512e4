# seeds.sh - the seed corpus of the ferrite fuzz target: short sessions of
# host calls as t2020-wharf-run.sh's UDFs make them (set, get, incr, hset,
# hget, del, exists, log), under grants that allow, deny or half-allow.
#
#   (sourced by tests/fuzz/seeds.sh: seed, seed_tmp)
#
# Input format (fuzz.c): GRANTS '\n' FLAGS LEN IMAGE CALLS; a call is a
# function byte (0 log, 1 time, 2 get, 3 set, 4 del, 5 exists, 6 incr,
# 7 hget, 8 hset) and two bytes (little-endian) per parameter.  The image
# below is "user:1" @0, "hello" @6, "f" @11, "41" @12, "audit:x" @14.
#
# Tests: tests/conformance/regress.sh replays the corpus.
out=$(seed_tmp)/ferrite
mkdir -p "$out"
img='\025user:1hellof41audit:x'
set_='\003\000\000\006\000\006\000\005\000'          # set user:1 hello
get='\002\000\000\006\000\100\000\040\000'           # get user:1 -> 64, cap 32
get_short='\002\000\000\006\000\100\000\002\000'     # cap 2: cut
set41='\003\016\000\007\000\014\000\002\000'         # set audit:x 41
incr='\006\016\000\007\000'                          # incr audit:x
incr_bad='\006\000\000\006\000'                      # incr user:1 (hello)
hset='\010\016\000\007\000\013\000\001\000\006\000\005\000'   # hset audit:x f hello
hget='\007\016\000\007\000\013\000\001\000\200\000\020\000'   # hget audit:x f
del='\004\000\000\006\000'                           # del user:1
exists='\005\000\000\006\000'                        # exists user:1
log='\000\002\000\006\000\005\000\000\001\000\000\000\025\000'  # log info hello; time
bad='\002\377\377\006\000\000\000\001\000\003\000\000\372\377\377\005\000'  # get -1; set past the end
printf "READ * WRITE *\n\001$img$set_$get$get_short$exists$del$exists$log" >"$out/kv"
printf "READ * WRITE audit:*\n\001$img$set41$incr$incr$get$hset$hget$incr_bad$set_" >"$out/incr"
printf "READ user:* WRITE audit:?\n\003$img$set_$hset$hget$del$bad" >"$out/deny"
printf "WRITE [a-z]*:[^0-9]\n\000$img$set_$get$log" >"$out/nomem"
printf "bogus line\n\001$img$set_$set_$set_$set_$set_$set_$set_$set_$set_$set_$set_$set_" >"$out/denials"
seed "$out"/*
