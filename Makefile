# Thin wrapper over CMake. `make demo` and `make test` are the two set-up
# commands of the README; both install what is missing first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
ifneq ($(CI),)
CMAKE_ARGS += -DFV_WERROR=ON
endif

.PHONY: all deps build demo test test-asan asan fuzz-build fuzz format format-check bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFV_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) -- --no-print-directory

# Every test, then each libFuzzer target for FUZZ_TEST_SECONDS (ASan+UBSan,
# clang), the targets side by side on the cores.
FUZZ_TEST_SECONDS ?= 20
test: build fuzz-build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz -j $(JOBS)

# The fuzz build: clang, libFuzzer, ASan and UBSan over everything; every
# target of tests/fuzz/CMakeLists.txt (fuzz_all).
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFV_FUZZ=ON \
		-DFV_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all -- --no-print-directory

# A long run of each target (FUZZ_SECONDS each), growing a scratch corpus
# per target in $(FUZZ_BUILD)/corpus/; crashes land in $(FUZZ_BUILD)/artifacts/.
fuzz: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@for bin in $(FUZZ_BUILD)/tests/fuzz_*; do \
		t=$${bin##*/fuzz_}; \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
		$$bin -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=20 \
			-artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
			$(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

test-asan: asan
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo

# fleetvault vs seed 004/002's sequential Lambda on the large fleet, 20 ms and 0 ms
# of latency per request (tests/bench/RESULTS.md); BENCH_ARGS, e.g. --latency 20 --repeat 1
bench: build
	@tests/bench/run --bin $(BUILD)/bin/fleetvault $(BENCH_ARGS)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
