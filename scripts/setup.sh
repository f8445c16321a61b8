#!/usr/bin/env bash
# Installs everything hellobench needs on Debian 12, idempotently; a few seconds when all is there.
#   - Debian packages (containerd, runc, registry, image tools, stargz's ctr-remote, fonts)
#   - npm dependencies (from package-lock.json)
#   - the stargz snapshotter daemon, built from the Go module proxy at the release pinned in
#     tools/stargz-grpc/go.mod, into .hellobench/bin (never over system binaries)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="${HELLOBENCH_HOME:-$root/.hellobench}/bin"

need_root() { [ "$(id -u)" = 0 ] || { echo "setup: run as root (it installs Debian packages)" >&2; exit 1; }; }

# ---- Debian packages -------------------------------------------------------------
packages=(containerd runc docker-registry skopeo umoci busybox-static stargz-snapshotter fuse3
          iproute2 mount fonts-dejavu-core mmdebstrap ca-certificates chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian images are keyed on the versions apt resolves: that needs package lists.
if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  need_root
  echo "setup: fetching apt package lists"
  apt-get update -qq
fi
# Debian's packages may start system services; the lab runs its own private instances.
for svc in containerd docker-registry; do
  if command -v systemctl >/dev/null && systemctl is-enabled "$svc" >/dev/null 2>&1; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done

# ---- npm dependencies -------------------------------------------------------------
stamp="$root/node_modules/.hellobench-lock"
lockhash=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  echo "setup: installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lockhash" > "$stamp"
fi

# ---- Go tools, built into .hellobench/bin ------------------------------------------
#   containerd-stargz-grpc: the stargz snapshotter daemon at the release pinned in its go.mod
#   delay-relay: adds round-trip time where the kernel lacks netem
go=$(command -v go || echo /usr/local/go/bin/go)
build_tool() { # DIR NAME [LDFLAGS]
  local src="$root/tools/$1" name=$2 ldflags=${3:-}
  local hash
  hash=$(cat "$src"/go.mod "$src"/*.go $( [ -f "$src/go.sum" ] && echo "$src/go.sum") | sha256sum | cut -d' ' -f1)
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.src" 2>/dev/null)" = "$hash" ]; then return; fi
  [ -x "$go" ] || { echo "setup: Go is needed to build $name: install Go 1.22 or newer" >&2; exit 1; }
  echo "setup: building $name into $bin"
  (cd "$src" && GOFLAGS=-mod=mod "$go" build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.new" .)
  mv "$bin/$name.new" "$bin/$name"
  echo "$hash" > "$bin/.$name.src"
}
mkdir -p "$bin"
stargz_version=$(cd "$root/tools/stargz-grpc" && "$go" list -m -f '{{.Version}}' github.com/containerd/stargz-snapshotter 2>/dev/null || echo unknown)
build_tool stargz-grpc containerd-stargz-grpc "-X main.version=$stargz_version"
build_tool delay-relay delay-relay
echo "setup: ready ($("$bin/containerd-stargz-grpc" --version))"
