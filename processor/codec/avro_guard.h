/*
 * Guards around avro-c 1.11, which trusts length prefixes, accepts enum indexes out of range,
 * and leaks on decode errors.
 *
 * xs_avro_validate walks one record's bytes against a writer schema before anything is
 * decoded: every string/bytes length, array/map block count, enum index and union branch is
 * checked against the bytes that remain and the schema; nesting depth is bounded. Only bytes
 * that pass are handed to avro_value_read, so decoding allocates at most a bounded multiple of
 * the input. The allocator cap (xs_avro_guard_init) is the second line of defence.
 */
#ifndef XS_AVRO_GUARD_H
#define XS_AVRO_GUARD_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

/* Installs the capped allocator for avro-c (idempotent; call before any avro-c use). A single
 * allocation above cap bytes fails instead of asking the system for it. cap 0 installs the
 * allocator and keeps the cap already set (64 MiB by default); xs_codec_new() does that. */
void xs_avro_guard_init(size_t cap);
/* How many avro-c allocations the cap has refused since start (a metric: non-zero means a
 * record got past validation that would have needed more than the cap). */
uint64_t xs_avro_guard_refused(void);
/* Blocks avro-c has allocated through the guard and not freed (those allocated before the guard
 * was installed are not counted). Flat across many records means decoding leaks nothing. */
int64_t xs_avro_guard_live_blocks(void);

/* A writer schema compiled for walking: one node per schema object, links resolved (a
 * recursive type is a cycle), children in arrays. Build once per schema, use for every record. */
struct xs_avro_node {
        avro_type_t type;
        size_t n;                  /* record fields, union branches, enum symbols, fixed size;
                                    * 1 for an array or map */
        struct xs_avro_node **kid; /* record fields, union branches, array items, map values */
        int items_zero_width;      /* array: every item is encoded in zero bytes */
        int zero_width;            /* every value is encoded in zero bytes */
        int zw_height;             /* zero-width: how deep its value nests */
        int zw_state;              /* compiling: 0 not worked out, 1 in progress, 2 done */
};
struct xs_avro_prog;
/* NULL when out of memory or the schema is unusable (or has more than 100,000 distinct
 * types). */
struct xs_avro_prog *xs_avro_compile(avro_schema_t schema);
void xs_avro_prog_free(struct xs_avro_prog *prog);
const struct xs_avro_node *xs_avro_prog_root(const struct xs_avro_prog *prog);

/* Validates that buf holds at least one record of the compiled schema starting at offset 0.
 * On success returns 0 and sets *consumed to the record's length; on failure returns -1 and
 * writes the reason (with the byte offset) to errstr. */
int xs_avro_validate_prog(const struct xs_avro_prog *prog, const void *buf, size_t len,
                          size_t *consumed, char *errstr, size_t errstr_size);
/* The same from a schema (compiled for the call: for tests and one-off checks). */
int xs_avro_validate(avro_schema_t schema, const void *buf, size_t len, size_t *consumed,
                     char *errstr, size_t errstr_size);

/* Skips one value of node in buf from *pos (checked as validation checks), moving *pos past
 * it. 0 on success; -1 with the reason in errstr. */
int xs_avro_skip(const struct xs_avro_node *node, const void *buf, size_t len, size_t *pos,
                 char *errstr, size_t errstr_size);

#endif
