#!/usr/bin/env bash
# Builds the libraries the static monitor links (OpenSSL, c-ares, libcurl, expat, jansson,
# libnl-3 + libnl-route-3) with musl, from Debian's own source packages, into a cache
# outside the clone:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps/<arch>-<hash of this script>
# and prints that prefix on stdout (progress goes to stderr and to build.log there).
#   tools/build_static_deps.sh x86_64|aarch64
# A finished prefix holds a .complete stamp and is reused as is; editing this script
# changes the hash and so builds a fresh prefix. For aarch64, musl itself is built first
# (Debian ships musl only for the host) with CROSS_COMPILE=aarch64-linux-gnu-.
# Facts behind the recipes: shared/DESIGN.md "Static builds".
set -euo pipefail
shopt -s inherit_errexit

arch=${1:?usage: build_static_deps.sh x86_64|aarch64}
case "$arch" in
  x86_64)  triplet=x86_64-linux-gnu;  ossl_target=linux-x86_64 ;;
  aarch64) triplet=aarch64-linux-gnu; ossl_target=linux-aarch64 ;;
  *) echo "build_static_deps.sh: unknown arch '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac

self=$(readlink -f "$0")
hash=$(sha256sum "$self" | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/monitor_system-deps
prefix=$cache/$arch-$hash
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p "$cache"
# One builder per prefix: a second `make static` (or a test) waits for the first.
exec 9>"$cache/$arch-$hash.lock"
flock 9
if [ -e "$prefix/.complete" ]; then
  echo "$prefix"
  exit 0
fi

rm -rf "$prefix"
mkdir -p "$prefix/bin" "$prefix/src" "$prefix/build"
log=$prefix/build.log
: >"$log"
say() { echo "build_static_deps[$arch]: $*" >&2; }
# Runs a build step with its output in the log; on failure shows the log's tail.
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    say "failed: $* (log: $log)"
    tail -n 30 "$log" >&2
    exit 1
  fi
}

# Debian source packages, fetched once per version into a shared folder.
fetch_source() {  # package -> prints the unpacked source dir
  local pkg=$1 dir
  mkdir -p "$cache/sources"
  dir=$(find "$cache/sources" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -n 1)
  if [ -z "$dir" ]; then
    # Newest version first; a mirror may lack the newest security upload's source.
    local v
    for v in $(apt-cache showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' \
               | sort -u | sort -r -V); do
      (cd "$cache/sources" && apt-get source -qq "$pkg=$v" >>"$log" 2>&1) && break
    done
    dir=$(find "$cache/sources" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -n 1)
    if [ -z "$dir" ]; then
      say "apt-get source $pkg failed: is there a deb-src entry for bookworm? (tools/install_deps.sh --static adds one)"
      tail -n 5 "$log" >&2
      exit 1
    fi
  fi
  echo "$dir"
}

# A private copy of a source tree per arch, so both arches can build from one download.
work_copy() {  # package -> prints the build dir
  local src
  src=$(fetch_source "$1")
  rm -rf "$prefix/build/$1"
  cp -a "$src" "$prefix/build/$1"
  echo "$prefix/build/$1"
}

# Kernel headers for musl-gcc: only linux/, asm/ and asm-generic/, so glibc's headers
# never leak into a musl build.
kernel_headers() {
  local kh=$prefix/kernel-headers base
  mkdir -p "$kh"
  if [ "$arch" = x86_64 ]; then
    ln -sfn /usr/include/linux "$kh/linux"
    ln -sfn /usr/include/asm-generic "$kh/asm-generic"
    ln -sfn /usr/include/x86_64-linux-gnu/asm "$kh/asm"
  else
    base=/usr/aarch64-linux-gnu/include
    ln -sfn "$base/linux" "$kh/linux"
    ln -sfn "$base/asm-generic" "$kh/asm-generic"
    ln -sfn "$base/asm" "$kh/asm"
  fi
}

# musl for aarch64, built from Debian's source with the cross gcc; gives a musl-gcc
# wrapper of its own.
build_musl_cross() {
  local b
  b=$(work_copy musl)
  say "musl (cross)"
  (cd "$b" && quiet env CROSS_COMPILE=aarch64-linux-gnu- CC=aarch64-linux-gnu-gcc \
      ./configure --prefix="$prefix/musl" --target=aarch64-linux-musl \
      --disable-shared --enable-wrapper=gcc --syslibdir="$prefix/musl/lib")
  (cd "$b" && quiet make -j"$jobs" && quiet make install)
}

# The one compiler every library and the monitor are built with.
make_cc_wrapper() {
  local musl_gcc=musl-gcc
  [ "$arch" = aarch64 ] && musl_gcc=$prefix/musl/bin/musl-gcc
  cat >"$prefix/bin/cc" <<EOF
#!/bin/sh
exec $musl_gcc -idirafter $prefix/kernel-headers "\$@"
EOF
  chmod 755 "$prefix/bin/cc"
  # pkg-config that sees only this prefix and asks for static link lines.
  cat >"$prefix/bin/pkg-config" <<EOF
#!/bin/sh
PKG_CONFIG_LIBDIR=$prefix/lib/pkgconfig PKG_CONFIG_PATH= exec pkg-config --static "\$@"
EOF
  chmod 755 "$prefix/bin/pkg-config"
}

host_flag() { [ "$arch" = aarch64 ] && echo "--host=aarch64-linux-musl" || echo "--host=x86_64-linux-musl"; }

build_openssl() {
  local b
  b=$(work_copy openssl)
  say "openssl"
  # OpenSSL 3.0 rejects no-docs; build_libs + install_dev skip apps and manuals.
  (cd "$b" && quiet env CC="$prefix/bin/cc" ./Configure "$ossl_target" \
      --prefix="$prefix" --libdir=lib --openssldir=/etc/ssl \
      no-shared no-tests no-dso no-engine no-module no-legacy no-ui-console \
      no-comp no-ssl3 no-weak-ssl-ciphers -DOPENSSL_NO_SECURE_MEMORY)
  (cd "$b" && quiet make -j"$jobs" build_libs && quiet make install_dev)
}

# Autotools packages: configure, make, make install, static only.
autotools_build() {  # package, configure args...
  local pkg=$1 b; shift
  b=$(work_copy "$pkg")
  say "$pkg"
  # Debian's patches leave Makefile.am newer than Makefile.in, and make would then want
  # automake: mark the generated files newer, in the order autotools makes them.
  (cd "$b" && touch aclocal.m4 && sleep 1 && touch configure &&
     find . \( -name Makefile.in -o -name '*.h.in' \) -exec touch {} +)
  (cd "$b" && quiet env CC="$prefix/bin/cc" PKG_CONFIG="$prefix/bin/pkg-config" \
      CPPFLAGS="-I$prefix/include" LDFLAGS="-L$prefix/lib" \
      ./configure "$(host_flag)" --prefix="$prefix" --libdir="$prefix/lib" \
      --disable-shared --enable-static "$@")
  echo "$b"
}

build_cares() {
  local b
  b=$(autotools_build c-ares --disable-tests)
  (cd "$b" && quiet make -j"$jobs" && quiet make install)
}

# HTTP and HTTPS only, OpenSSL for TLS, c-ares for DNS (no glibc NSS in scratch images).
build_curl() {
  local b
  b=$(autotools_build curl --with-openssl="$prefix" --enable-ares="$prefix" \
      --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
      --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
      --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-manual \
      --disable-docs --disable-ntlm --disable-unix-sockets \
      --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 \
      --without-ngtcp2 --without-brotli --without-zstd --without-zlib \
      --without-librtmp --without-libssh2 --without-libssh --without-gssapi \
      --without-hyper --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
      --without-ca-path)
  (cd "$b" && quiet make -j"$jobs" && quiet make install)
}

# CMake packages (Debian's expat and jansson sources are git trees without configure).
cmake_build() {  # source dir, cmake args...
  local dir=$1 cross=(); shift
  [ "$arch" = aarch64 ] && cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64)
  (cd "$dir" && quiet cmake -S . -B _build -DCMAKE_C_COMPILER="$prefix/bin/cc" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
      -DBUILD_SHARED_LIBS=OFF "${cross[@]}" "$@" \
    && quiet cmake --build _build -j "$jobs" && quiet cmake --install _build)
}

build_expat() {
  local b
  b=$(work_copy expat)
  say "expat"
  # Debian's security patches test `#if XML_DTD == 1` (Debian builds with autotools,
  # which defines it as 1); expat's CMake config header defines it empty.
  sed -i 's/^#cmakedefine XML_DTD$/#cmakedefine XML_DTD 1/' "$b/expat/expat_config.h.cmake"
  cmake_build "$b/expat" -DEXPAT_SHARED_LIBS=OFF -DEXPAT_BUILD_TOOLS=OFF \
    -DEXPAT_BUILD_EXAMPLES=OFF -DEXPAT_BUILD_TESTS=OFF -DEXPAT_BUILD_DOCS=OFF \
    -DEXPAT_BUILD_FUZZERS=OFF
}

build_jansson() {
  local b
  b=$(work_copy jansson)
  say "jansson"
  cmake_build "$b" -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
    -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON
}

# libnl needs flex and bison (route classifiers); only libnl-3 and libnl-route-3 are used.
build_libnl() {
  local b
  b=$(autotools_build libnl3 --disable-cli --disable-debug)
  (cd "$b" && quiet make -j"$jobs" && quiet make install)
}

start=$SECONDS
kernel_headers
[ "$arch" = aarch64 ] && build_musl_cross
make_cc_wrapper
build_openssl
build_cares
build_curl
build_expat
build_jansson
build_libnl
# libtool archives point at build paths and only confuse later links.
find "$prefix/lib" -name '*.la' -delete
rm -rf "$prefix/build"
say "done in $((SECONDS - start)) s: $prefix"
touch "$prefix/.complete"
echo "$prefix"
