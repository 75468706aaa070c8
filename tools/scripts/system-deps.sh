#!/usr/bin/env bash
# Makes sure the Debian packages the tests use are present: Fashion-MNIST IDX files,
# python3-onnx (onnx.checker), Chromium (browser tests), tmux (terminal UI test) and
# redis-server (queue tests start their own on a free loopback port).
# Installs them with apt-get when running as root; otherwise says what to install.
set -euo pipefail
need=()
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
python3 -c 'import onnx.checker' 2>/dev/null || need+=(python3-onnx)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need+=(redis-server)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "headstart tests need these Debian packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
