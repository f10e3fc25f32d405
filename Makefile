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

# Every test, then a short run of each libFuzzer target (ASan+UBSan, clang).
test: build fuzz-build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz

# The fuzz build: clang, libFuzzer, ASan and UBSan over everything.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DFV_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_task fuzz_messages -- --no-print-directory

# A long run of each target (FUZZ_SECONDS each), growing a scratch corpus.
fuzz: fuzz-build
	@for t in task messages; do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$t && \
		$(FUZZ_BUILD)/tests/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=20 \
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
