# Lethe: the documented entry points (CONTRACT.md). Everything builds into build/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all build setup test demo bench python install clean

all: build

setup:
	@bash scripts/setup

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: setup
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE bench

# The demo needs the lethe binary only, not the test binaries.
demo: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target lethe
	$(BUILD)/bin/lethe demo

# `import lethe` for the system Python: builds the module into $(BUILD)/python and links it into
# the user's site-packages (python3 -m site --user-site), so that /usr/bin/python3 finds it.
python: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target lethe_python
	@site=$$(/usr/bin/python3 -m site --user-site) && mkdir -p "$$site" && \
	  echo "$(abspath $(BUILD))/python" > "$$site/lethe.pth" && \
	  echo "import lethe: $(abspath $(BUILD))/python (via $$site/lethe.pth)"

# liblethe.so, its headers, the CMake package (find_package(Lethe)) and the lethe binary under
# $(PREFIX) (docs/library.md).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target lethe
	$(BUILD)/bin/lethe bench all --out bench/results

clean:
	rm -rf $(BUILD)
