#!/bin/sh
# Makes prebuilds/linux-x64 and prebuilds/linux-arm64 for the packed tarball
# (npm pack runs it as `prepack`): the addon with prebuildify (Node-API, so one
# build serves every Node version; --tag-libc names it *.glibc.node so that
# node-gyp-build passes it over on musl and builds from source there), and the
# static bulkhead-init beside it. arm64 is cross-compiled with Debian's
# g++-aarch64-linux-gnu. Each architecture is built in a copy of binding.gyp and
# native/ so that build/Release of the checkout stays the host's own build.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-prebuild.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# Node-API headers come with the installed Node (Debian's nodejs ships them in
# /usr/include/node); node-gyp would otherwise download them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi

build() { # build ARCH TRIPLET-PREFIX (empty for the host's own toolchain)
  arch=$1 cross=$2
  dir="$work/$arch"
  mkdir -p "$dir"
  cp -R "$root/binding.gyp" "$root/package.json" "$root/native" "$dir/"
  ln -s "$root/node_modules" "$dir/node_modules"
  (
    cd "$dir"
    if [ -n "$cross" ]; then
      export CC="${cross}gcc" CXX="${cross}g++" LINK="${cross}g++" AR="${cross}ar"
    fi
    PREBUILD_STRIP_BIN="${cross}strip" "$root/node_modules/.bin/prebuildify" \
      --napi --strip --tag-libc --arch "$arch" --out "$dir"
    "${cross}strip" --strip-all -o "prebuilds/linux-$arch/bulkhead-init" build/Release/bulkhead-init
  )
  rm -rf "$root/prebuilds/linux-$arch"
  mkdir -p "$root/prebuilds"
  cp -R "$dir/prebuilds/linux-$arch" "$root/prebuilds/"
}

case "$(node -p process.arch)" in
  x64) build x64 ''; build arm64 aarch64-linux-gnu- ;;
  arm64) build arm64 ''; build x64 x86_64-linux-gnu- ;;
  *) echo "prebuild: no prebuilds are made on $(node -p process.arch)" >&2; exit 1 ;;
esac
ls -l "$root"/prebuilds/*/
