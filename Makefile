# SPDX-License-Identifier: GPL-2.0
#
# podcam: the kernel module (kbuild, "Example 2" of
# Documentation/kbuild/modules.rst: the top-level Kbuild holds obj-m) and the
# userspace programs (pkg-config, strict warnings).
#
#   make                  module and programs
#   make deps             install the Debian packages the build and tests need
#   make check            deps, build, every test; ends with "N passed, N failed"
#   make demo             build, boot the VM, fire a delivery, show the photo
#   make install DESTDIR=...

VERSION := 0.1

# Debian's 6.1 headers: the newest installed, never the running kernel.
KVER ?= $(shell ls -1d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)

BUILD ?= build
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVDIR ?= $(PREFIX)/lib/udev
PRESETDIR ?= $(PREFIX)/lib/systemd/system-preset
PLUGINDIR ?= $(PREFIX)/lib/podcam
DKMSDIR ?= /usr/src
DESTDIR ?=

CC ?= gcc
CXX ?= g++
PKG_CONFIG ?= pkg-config
# podcamd links no network library; libcurl is podcam-upload's.
PKGS := libsystemd libturbojpeg libexif inih json-c libgpiod libsodium libcrypto
UPLOAD_PKGS := libcurl
CXX_PKGS := libcamera

CFLAGS ?= -O2 -g
CXXFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wundef -Wvla \
	-Wpointer-arith -Wwrite-strings -Wno-unused-parameter \
	-Wno-missing-field-initializers
USER_CFLAGS := -std=gnu11 $(WARN) -Wstrict-prototypes -Wmissing-prototypes \
	-D_GNU_SOURCE -DPODCAM_VERSION='"$(VERSION)"' -fno-common \
	-DPODCAM_PLUGIN_DIR='"$(PLUGINDIR)"' \
	-Idaemon $(shell $(PKG_CONFIG) --cflags $(PKGS) $(UPLOAD_PKGS) 2>/dev/null)
USER_CXXFLAGS := -std=gnu++17 $(WARN) -D_GNU_SOURCE -Idaemon \
	$(shell $(PKG_CONFIG) --cflags $(CXX_PKGS) 2>/dev/null)
USER_LDFLAGS := -Wl,--as-needed
LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm
UPLOAD_LIBS := $(shell $(PKG_CONFIG) --libs $(UPLOAD_PKGS) 2>/dev/null)
CXX_LIBS := $(shell $(PKG_CONFIG) --libs $(CXX_PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
BUILD := build-asan
USER_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
USER_CXXFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer
USER_LDFLAGS += -fsanitize=address,undefined
endif

# Every daemon/*.c but the two programs' main files goes into one static
# library that the programs and the unit tests link against.
MAIN_SRCS := daemon/main.c daemon/upload-main.c
LIB_SRCS := $(filter-out $(MAIN_SRCS),$(wildcard daemon/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libpodcam.a

# The libcamera backend is a plugin that podcamd loads only for a camera
# that needs it (daemon/capture.c): the C++ file and the C it calls, built
# position-independent, exporting only capture_libcamera_ops.
PLUGIN := $(BUILD)/capture-libcamera.so
PLUGIN_SRCS := daemon/capture-libcamera.cpp daemon/capture-libcamera-pick.c \
	daemon/yuv.c
PLUGIN_OBJS := $(patsubst %,$(BUILD)/plugin/%.o,$(basename $(PLUGIN_SRCS)))

# Every tests/*/*.c is one program (unit tests, servers and helpers).
TEST_SRCS := $(wildcard tests/*/*.c)
TEST_BINS := $(foreach s,$(TEST_SRCS),$(BUILD)/tests/$(notdir $(s:.c=)))

PROGRAMS := $(strip $(if $(wildcard daemon/main.c),$(BUILD)/podcamd) \
	$(if $(wildcard daemon/upload-main.c),$(BUILD)/podcam-upload))

.PHONY: all module programs tests clean install install-module \
	install-programs install-dkms deps check demo checkpatch vm-image vimc
.DELETE_ON_ERROR:

all: module programs tests

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

programs: $(PROGRAMS) $(PLUGIN)

tests: $(TEST_BINS) $(PLUGIN) vimc

# vimc.ko for tests/vm/libcamera.sh, from Debian's linux-source; loaded only
# inside the test VM.
vimc:
	BUILD=$(BUILD) tests/vm/vimc-build.sh > /dev/null

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(USER_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(USER_CXXFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/plugin/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(USER_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(BUILD)/plugin/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(USER_CXXFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(PLUGIN): $(PLUGIN_OBJS)
	$(CXX) -shared $(USER_LDFLAGS) -Wl,-z,defs -o $@ $^ \
		$(CXX_LIBS) $(shell $(PKG_CONFIG) --libs libsystemd) -lm

$(BUILD)/podcamd: $(BUILD)/daemon/main.o $(LIB)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/podcam-upload: $(BUILD)/daemon/upload-main.o $(LIB)
	$(CC) $(USER_LDFLAGS) -o $@ $^ $(LIBS) $(UPLOAD_LIBS)

define test_program
$(BUILD)/tests/$(notdir $(1:.c=)): $(BUILD)/$(1:.c=.o) $(LIB)
	$$(CC) $$(USER_LDFLAGS) -o $$@ $$^ $$(LIBS) $$(UPLOAD_LIBS)
endef
$(foreach s,$(TEST_SRCS),$(eval $(call test_program,$(s))))

$(BUILD)/tests/%.o: USER_CFLAGS += -Itests
# The uploader's fault-injecting HTTPS test server speaks TLS itself.
$(BUILD)/tests/fault-server: LIBS += $(shell $(PKG_CONFIG) --libs openssl)

-include $(shell find $(BUILD)/daemon $(BUILD)/plugin $(BUILD)/tests -name '*.d' -type f 2>/dev/null)

checkpatch:
	tests/checkpatch.sh

install: install-module install-programs

install-module: module
	install -D -m 0644 kmod/podcam.ko \
		$(DESTDIR)/lib/modules/$(KVER)/extra/podcam.ko

install-programs: programs
	install -d $(DESTDIR)$(SBINDIR)
	$(if $(PROGRAMS),install -m 0755 $(PROGRAMS) $(DESTDIR)$(SBINDIR))
	install -D -m 0644 $(PLUGIN) $(DESTDIR)$(PLUGINDIR)/capture-libcamera.so
	install -D -m 0644 udev/71-podcam.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/71-podcam.rules
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 $(wildcard systemd/*.service) $(DESTDIR)$(UNITDIR)
	install -D -m 0644 systemd/podcam.sysusers \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d/podcam.conf
	install -D -m 0644 systemd/podcam.tmpfiles \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d/podcam.conf
	install -D -m 0644 systemd/org.podcam1.conf \
		$(DESTDIR)$(PREFIX)/share/dbus-1/system.d/org.podcam1.conf
	install -D -m 0644 daemon/podcam.conf \
		$(DESTDIR)$(SYSCONFDIR)/podcam/podcam.conf
	install -D -m 0644 systemd/podcam.preset \
		$(DESTDIR)$(PRESETDIR)/80-podcam.preset
	for m in $(wildcard man/*.[1-8]); do \
		install -D -m 0644 $$m \
			$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit 1; \
	done

# The module's source where dkms(8) looks for it; then
# `dkms install podcam/$(VERSION)`.
DKMS_SRCS := $(filter-out %.mod.c,$(wildcard kmod/*.[ch]))
install-dkms:
	install -d $(DESTDIR)$(DKMSDIR)/podcam-$(VERSION)/kmod
	install -m 0644 Kbuild $(DESTDIR)$(DKMSDIR)/podcam-$(VERSION)
	install -m 0644 kmod/Kbuild $(DKMS_SRCS) \
		$(DESTDIR)$(DKMSDIR)/podcam-$(VERSION)/kmod
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' dkms.conf \
		> $(DESTDIR)$(DKMSDIR)/podcam-$(VERSION)/dkms.conf

deps:
	tests/deps.sh

check: deps
	$(MAKE) all
	tests/run-tests

demo: deps
	$(MAKE) all
	tests/demo.sh

vm-image:
	tests/vm/build-image

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build build-asan
