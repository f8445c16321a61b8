#!/usr/bin/env bash
# The test command: installs what is missing, type-checks, then runs the unit tests and
# the end-to-end tests that drive the real lab (as root). Leaves no service running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cd "$root"
npx tsc --noEmit
# The Go tools' own tests (the nydus-image wrapper's tar filter, the stargz daemon's config
# defaults, the link's delay line).
go=$(command -v go || echo /usr/local/go/bin/go)
(cd tools/nydus && GOFLAGS=-mod=mod "$go" test ./cmd/...)
(cd tools/stargz-grpc && GOFLAGS=-mod=mod "$go" test .)
(cd tools/delay-line && GOFLAGS=-mod=mod "$go" test .)
# The unit tests as CI's unprivileged job runs them, then the end-to-end tests on the real lab.
npm run --silent test:unit
exec node --import tsx --test --test-concurrency=1 test/e2e/*.test.ts
