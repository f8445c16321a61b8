#!/usr/bin/env bash
# Installs everything hellobench needs on Debian 12, idempotently; a few seconds when all is there.
#   - Debian packages (containerd 1.6, runc, registry, image tools, stargz's ctr-remote, fonts)
#   - npm dependencies (from package-lock.json)
#   - built from the package registries at pinned versions, once per version, into a cache
#     outside the checkout ($HELLOBENCH_HOME/bin, default /var/cache/hellobench/bin), so a
#     fresh clone or CI on the same machine reuses them: containerd 2, the stargz, SOCI and
#     Nydus snapshotters, Nydus's nydusd and nydus-image, the link's delay line, and for the
#     CRI runtime crictl and the pods' pause binary.
# Usage: scripts/setup.sh                  everything above
#        scripts/setup.sh --preflight [ARGS]  Debian packages and npm dependencies, then
#                                           `hellobench preflight ARGS` (what the kernel and
#                                           machine give the lab), in seconds, before any build
#        scripts/setup.sh --reports         only what rendering reports needs (fonts, npm), as
#                                           any user (sudo for apt): CI's unit and publish jobs
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home="${HELLOBENCH_HOME:-/var/cache/hellobench}"
bin="$home/bin"

# Pinned releases (the Go tools' own pins live in their go.mod files under tools/).
containerd_version=v2.4.2
crictl_version=v1.37.0
nydus_rs_version=2.2.0

mode=all
case "${1:-}" in
  --preflight) mode=preflight; shift ;;
  --reports) mode=reports; shift ;;
  '') ;;
  *) echo "setup: unknown option $1 (use --preflight [preflight options] or --reports)" >&2; exit 2 ;;
esac
step() { echo "setup: $*"; }
# As root: apt-get; as another user (a hosted runner's), through sudo when it is there.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup: run as root (it installs Debian packages)" >&2; exit 1; fi
}
need_root() { [ "$(id -u)" = 0 ] || { echo "setup: run as root (it builds into $home)" >&2; exit 1; }; }
t_start=$SECONDS

# ---- Debian packages -------------------------------------------------------------
# Build prerequisites a bare debian:12 lacks (ci/job-container.ts finds them): nydus-rs builds a
# bundled OpenSSL (openssl-src: make, perl) and zlib-ng (libz-sys: cmake). gcc and zlib1g-dev
# (with libc6-dev) link the cgo and Rust tools.
packages=(containerd runc docker-registry skopeo umoci busybox-static stargz-snapshotter fuse3
          iproute2 mount containernetworking-plugins fonts-dejavu-core mmdebstrap ca-certificates chromium zlib1g-dev gcc
          make perl cmake)
# Reports render PNG charts with DejaVu Sans: without the font resvg draws no text.
[ "$mode" = reports ] && packages=(fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian images are keyed on the versions apt resolves: that needs package lists.
if [ "$mode" != reports ] && ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
  need_root
  step "fetching apt package lists"
  apt-get update -qq
fi
# Debian's packages may start system services; the lab runs its own private instances.
[ "$mode" = reports ] || for svc in containerd docker-registry; do
  if command -v systemctl >/dev/null && systemctl is-enabled "$svc" >/dev/null 2>&1; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done

# ---- npm dependencies -------------------------------------------------------------
stamp="$root/node_modules/.hellobench-lock"
lockhash=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  step "installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lockhash" > "$stamp"
fi
[ "$mode" = reports ] && { step "ready for reports in $((SECONDS - t_start)) s"; exit 0; }
# What the lab needs from this kernel and machine, in seconds, before minutes of builds.
[ "$mode" = preflight ] && exec "$root/bin/hellobench" preflight "$@"
need_root

# ---- built tools, cached in $bin ------------------------------------------------------
go=$(command -v go || echo /usr/local/go/bin/go)
mkdir -p "$bin"
# fresh NAME KEY: true when $bin/.NAME.key is missing or differs (then build and call `done_ NAME KEY`).
fresh() { [ "$(cat "$bin/.$1.key" 2>/dev/null)" != "$2" ]; }
done_() { echo "$2" > "$bin/.$1.key"; }
need_go() { [ -x "$go" ] || { echo "setup: Go is needed to build $1: install Go 1.22 or newer" >&2; exit 1; }; }

# A Go tools module of ours under tools/DIR, built into $bin: each PKG=NAME builds package PKG
# (relative to the module, or a dependency's) as NAME. Rebuilt when the module's files change.
build_module() { # DIR LDFLAGS PKG=NAME...
  local dir=$1 ldflags=$2; shift 2
  local src="$root/tools/$dir" key
  key=$(cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  fresh "$dir" "$key" || return 0
  need_go "tools/$dir"
  step "building ${*##*=} (tools/$dir) into $bin"
  local t=$SECONDS spec
  for spec in "$@"; do
    (cd "$src" && CGO_ENABLED=1 GOFLAGS=-mod=mod "$go" build -trimpath -ldflags "-s -w $ldflags" -o "$bin/${spec#*=}.new" "${spec%%=*}")
    mv "$bin/${spec#*=}.new" "$bin/${spec#*=}"
  done
  step "  done in $((SECONDS - t)) s"
  done_ "$dir" "$key"
}
gomod_version() { (cd "$root/tools/$1" && "$go" list -m -f '{{.Version}}' "$2" 2>/dev/null || echo unknown); }

# containerd 2: its commands are in its main module, with no replace lines, so `go install` works.
if fresh containerd2 "$containerd_version"; then
  need_go containerd
  step "building containerd $containerd_version (containerd, ctr, containerd-shim-runc-v2) into $bin/containerd2"
  mkdir -p "$bin/containerd2"
  t=$SECONDS
  (cd /tmp && GOBIN="$bin/containerd2" "$go" install -trimpath \
    "github.com/containerd/containerd/v2/cmd/containerd@$containerd_version" \
    "github.com/containerd/containerd/v2/cmd/ctr@$containerd_version" \
    "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$containerd_version")
  step "  done in $((SECONDS - t)) s"
  done_ containerd2 "$containerd_version"
fi

# crictl, the CRI client of --runtime cri (not in Debian 12).
if fresh crictl "$crictl_version"; then
  need_go crictl
  step "building crictl $crictl_version into $bin"
  t=$SECONDS
  (cd /tmp && GOBIN="$bin" "$go" install -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$crictl_version" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$crictl_version")
  step "  done in $((SECONDS - t)) s"
  done_ crictl "$crictl_version"
fi

build_module delay-line "" .=delay-line
# The pods' sandbox binary: Go without cgo imports, so statically linked.
build_module pause "" .=pause
build_module stargz-grpc "-X main.version=$(gomod_version stargz-grpc github.com/containerd/stargz-snapshotter)" .=containerd-stargz-grpc
build_module soci "-X main.version=$(gomod_version soci github.com/awslabs/soci-snapshotter)" \
  ./cmd/soci-snapshotter-grpc=soci-snapshotter-grpc ./cmd/soci-index=soci-index
nydus_snapshotter=$(gomod_version nydus github.com/containerd/nydus-snapshotter)
build_module nydus "-X main.version=$nydus_snapshotter -X github.com/containerd/nydus-snapshotter/version.Version=$nydus_snapshotter" \
  github.com/containerd/nydus-snapshotter/cmd/containerd-nydus-grpc=containerd-nydus-grpc \
  ./cmd/nydus-convert=nydus-convert ./cmd/nydusd-wrapper=nydusd-wrapper ./cmd/nydus-image-wrapper=nydus-image-wrapper

# Nydus's nydusd and nydus-image (Rust) from crates.io. --locked: without it newer sub-crates
# resolve to two incompatible nydus-api versions. Takes 4-10 minutes, once per version.
if fresh nydus-rs "$nydus_rs_version" || [ ! -x "$bin/nydusd" ]; then
  cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
  [ -x "$cargo" ] || { echo "setup: cargo is needed to build nydus-rs: install Rust (rustup or Debian's cargo)" >&2; exit 1; }
  step "building nydus-rs $nydus_rs_version (nydusd, nydus-image) from crates.io into $home/opt; this takes minutes, once"
  t=$SECONDS
  "$cargo" install --quiet --locked --force nydus-rs --version "$nydus_rs_version" --root "$home/opt/nydus-rs-$nydus_rs_version"
  for n in nydusd nydus-image; do ln -sfn "$home/opt/nydus-rs-$nydus_rs_version/bin/$n" "$bin/$n"; done
  step "  done in $((SECONDS - t)) s"
  done_ nydus-rs "$nydus_rs_version"
fi

step "ready in $((SECONDS - t_start)) s: $("$bin/containerd2/containerd" --version | cut -d' ' -f1,3), $("$bin/containerd-stargz-grpc" --version)"
