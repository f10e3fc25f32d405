# Thin wrapper over CMake. `make demo` and `make test` are the two set-up
# commands of the README; both install what is missing first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
ifneq ($(CI),)
CMAKE_ARGS += -DFV_WERROR=ON
endif

.PHONY: all deps build demo test test-asan asan format format-check bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFV_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS) -- --no-print-directory

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

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
	rm -rf $(BUILD) $(ASAN_BUILD)
