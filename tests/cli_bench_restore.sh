#!/usr/bin/env bash
# `xsell bench restore` (BENCHMARKS.md "Customers changelog") on a small stream: every customer
# the engine lists as changed is exported and imported into a fresh engine without an error, and
# the fresh engine then tracks exactly as many customers.
source "$(dirname "$0")/lib_cli.sh" "$@"

out=$("$XSELL" bench restore --events 20000 --customers 5000 --days 2 -q) || fail "bench restore: $out"
kv() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$out"; }
[ "$(kv customers)" -gt 1000 ] || fail "only $(kv customers) customers exported: $out"
[ "$(kv bad)" = 0 ] || fail "$(kv bad) records not imported: $out"
[ "$(kv customers_live)" = "$(kv customers)" ] || fail "imported $(kv customers_live) of $(kv customers): $out"
ok "bench restore: $(kv customers) customers, $(kv bytes_per_customer) bytes each, all imported"
done_testing
