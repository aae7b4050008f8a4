#!/bin/sh
# Write the `go build -overlay` file that makes package time's Now() add faultline's
# wall-clock offset: a patched copy of $GOROOT/src/time/time.go plus faultline_offset.go.
# Usage: patch-time-now.sh OUT_DIR OFFSET_GO  (prints the overlay file's path)
# Fails loudly if this Go version's Now() no longer has the line we hook, rather than
# building an etcd that silently ignores clock faults.
set -eu
out=$1
offset_go=$2
goroot=$(go env GOROOT)
mkdir -p "$out"
# Now() starts with `sec, nsec, mono := now()`; shift the wall part right after it.
sed 's/^\tsec, nsec, mono := now()$/&\n\tsec, nsec = faultlineSkew(sec, nsec)/' \
  "$goroot/src/time/time.go" > "$out/time.go"
hooks=$(grep -c 'faultlineSkew(sec, nsec)' "$out/time.go" || true)
if [ "$hooks" != 1 ]; then
  echo "patch-time-now: expected one hook in $goroot/src/time/time.go, made $hooks" >&2
  exit 1
fi
cp "$offset_go" "$out/faultline_offset.go"
cat > "$out/overlay.json" <<JSON
{"Replace": {
  "$goroot/src/time/time.go": "$out/time.go",
  "$goroot/src/time/faultline_offset.go": "$out/faultline_offset.go"
}}
JSON
echo "$out/overlay.json"
