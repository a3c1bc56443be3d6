# Thin wrapper around CMake. The two commands a newcomer needs:
#   make run   - install missing packages, build, start the server with conf/shardis.conf
#   make test  - install, build, run every unit and integration test (also under ASan+UBSan) and the fuzzer
BUILD ?= build
JOBS ?= $(shell nproc)
WERROR ?= $(if $(CI),ON,OFF)
# RESP parser, then each smaller target (ACL rules, log records, snapshots, configuration)
FUZZ_SECONDS ?= 30
FUZZ_TARGET_SECONDS ?= 15
# thread counts of the integration runs under ASan+UBSan (e.g. ASAN_THREADS='1|2|4')
ASAN_THREADS ?= 2

.PHONY: all deps build run test test-release test-asan fuzz bench clean format

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSHARDIS_WERROR=$(WERROR) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/shardis-server conf/shardis.conf

test: deps test-release test-asan fuzz

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j1

test-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSHARDIS_SANITIZE=ON -DSHARDIS_WERROR=$(WERROR) >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j1 -L unit
	# Integration: the servers check leaks; test clients may leak replies on failure paths.
	# The release run covers 1, 2 and 4 threads; under the sanitizers the 2-thread
	# runs (cross-shard paths included) keep `make test` under 20 minutes on 2 cores.
	cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		SHARDIS_SERVER_ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j1 -L integration -R '_t($(ASAN_THREADS))$$'

# Every target reads its seeds from test/fuzz/<target>/seeds and grows its
# corpus in build-fuzz/<target>/corpus.
FUZZ_TARGETS = acl aof snapshot config rdb
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DSHARDIS_FUZZ=ON -DSHARDIS_TESTS=OFF >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzz_resp $(addprefix fuzz_,$(FUZZ_TARGETS))
	mkdir -p build-fuzz/resp/corpus $(foreach t,$(FUZZ_TARGETS),build-fuzz/$(t)/corpus)
	build-fuzz/fuzz_resp -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build-fuzz/resp/corpus test/fuzz/resp/seeds
	set -e; for t in $(FUZZ_TARGETS); do \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_TARGET_SECONDS) -print_final_stats=1 build-fuzz/$$t/corpus test/fuzz/$$t/seeds; \
	done

bench: build
	bash test/bench/bench.sh
	bash test/bench/bigdelete.sh
	bash test/bench/tool.sh
	bash test/bench/tls.sh
	bash test/bench/acl.sh
	bash test/bench/persist.sh
	bash test/bench/snapshot.sh
	bash test/bench/aof.sh
	bash test/bench/evict.sh
	bash test/bench/pubsub.sh
	bash test/bench/bits.sh
	bash test/bench/geosort.sh
	bash test/bench/stream.sh
	bash test/bench/rdb_import.sh
	bash test/bench/track.sh

format:
	clang-format -i core/*/*.[ch] shards/*.[ch] net/*.[ch] persist/*.[ch] tools/*.c security/*.[ch] cli/*.[ch] test/unit/*/*.[ch] test/unit/*/*/*.[ch] test/integration/*.c test/integration/support/*.[ch] test/fuzz/*.c test/bench/*.c

clean:
	rm -rf $(BUILD) build-asan build-fuzz
