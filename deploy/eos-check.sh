#!/usr/bin/env bash
# Exactly-once on a real broker (needs Docker): starts the compose setup, produces generated
# events through the Schema Registry, kills xsell with SIGKILL twice mid-stream (compose restarts
# it), and checks with a read_committed consumer (kcat) that every offer id of an uninterrupted
# replay appears exactly once in `offers`. Not run in CI (CI machines have no Docker engine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
xsell="$root/build/xsell"
tmp="$(mktemp -d)"
compose=(docker compose -f "$root/deploy/docker-compose.yml")
trap '"${compose[@]}" down -v >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
"${compose[@]}" up -d --build
for _ in $(seq 60); do curl -fs http://localhost:8081/subjects >/dev/null && break; sleep 2; done
"$xsell" generate --seed 9 --events 200000 -o "$tmp/ev.jsonl" --catalog "$tmp/cat.jsonl"
kafka=(-X kafka.bootstrap.servers=localhost:29092 -X registry.url=http://localhost:8081)
"$xsell" produce "${kafka[@]}" --catalog "$tmp/cat.jsonl"
"$xsell" produce "${kafka[@]}" "$tmp/ev.jsonl" &
for _ in 1 2; do sleep 10; "${compose[@]}" kill -s KILL xsell; sleep 2; "${compose[@]}" start xsell; done
wait
"$xsell" replay "$tmp/ev.jsonl" -c "$tmp/cat.jsonl" -q -o "$tmp/replay.jsonl"
sed -n 's/.*"offer_id":"\([0-9a-f]*\)".*/\1/p' "$tmp/replay.jsonl" | sort >"$tmp/expect"
sleep 30 # let xsell finish the stream
kcat -b localhost:29092 -C -t offers -X isolation.level=read_committed -e -q -f '%s\n' |
        python3 -c 'import sys
for line in sys.stdin.buffer:
    v = line.rstrip(b"\n"); n = v[5]
    # offer_id is the first field: zig-zag length, then the id
    print(v[6:6 + (n >> 1)].decode())' | sort >"$tmp/got"
dups=$(uniq -d "$tmp/got" | wc -l)
missing=$(comm -23 "$tmp/expect" <(sort -u "$tmp/got") | wc -l)
echo "offers expected $(wc -l <"$tmp/expect"), read_committed $(wc -l <"$tmp/got"), duplicates $dups, missing $missing"
# Exactly once: no offer id twice under read_committed. With 4 partitions the interleaving differs
# from the file, so a few offers can legitimately differ from the replay ("missing"); an offer
# lost to a crash would show up there too, so keep that number in view.
[ "$dups" -eq 0 ]
