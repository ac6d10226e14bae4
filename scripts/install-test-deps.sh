#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: Debian's Chromium (WebGPU on SwiftShader for
# the e2e and browser kernel tests) and Mesa's lavapipe from bookworm-backports (Vulkan for Dawn in Node;
# bookworm's own Mesa 22.3 is too old for Dawn), and Debian's PyTorch (python3-torch, for /usr/bin/python3)
# for the twin's own tests (test/model/twin.test.ts runs them). --no-torch skips PyTorch.
# When not root, prints the exact commands instead of running them.
set -euo pipefail

want_torch=1
for arg in "$@"; do [ "$arg" = "--no-torch" ] && want_torch=0; done

need_chromium=0; need_lavapipe=0; need_torch=0
[ -x /usr/bin/chromium ] || need_chromium=1
# lavapipe's ICD must come from Mesa >= 25 (bookworm-backports); the bookworm package is not enough.
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  need_lavapipe=1
elif command -v dpkg-query >/dev/null 2>&1; then
  mesa_ver=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
  case "$mesa_ver" in 2[0-4].*) need_lavapipe=1 ;; esac
fi
[ "$want_torch" = 1 ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 && need_torch=1

if [ $need_chromium = 0 ] && [ $need_lavapipe = 0 ] && [ $need_torch = 0 ]; then
  exit 0
fi

src=/etc/apt/sources.list.d/debian.sources
backports=/etc/apt/sources.list.d/debian-backports.sources
steps=()
if [ $need_lavapipe = 1 ] && [ ! -f "$backports" ]; then
  # Derive the backports source from the existing one (same mirror and keyring), only the suite changes.
  steps+=("awk 'BEGIN{RS=\"\"; ORS=\"\\n\\n\"} /Suites:[^\\n]*bookworm( |\$|\\n)/ && !/security/ {sub(/Suites:[^\\n]*/, \"Suites: bookworm-backports\"); print}' $src > $backports")
fi
steps+=("apt-get update -qq")
pkgs=()
[ $need_chromium = 1 ] && pkgs+=(chromium)
[ $need_torch = 1 ] && pkgs+=(python3-torch)
[ ${#pkgs[@]} -gt 0 ] && steps+=("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs[*]}")
[ $need_lavapipe = 1 ] && steps+=("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers")

if [ "$(id -u)" != 0 ]; then
  echo "Test prerequisites are missing. Run these as root, then run the tests again:" >&2
  for s in "${steps[@]}"; do echo "  sudo sh -c '$s'" >&2; done
  exit 1
fi
echo "Installing test prerequisites (chromium=$need_chromium lavapipe=$need_lavapipe torch=$need_torch)..." >&2
for s in "${steps[@]}"; do
  echo "+ $s" >&2
  sh -c "$s" >&2
done
