/*
 * The customers changelog (issue 11): `<application.id>-customers-changelog`, partitioned like
 * the events topic (its partition p % n holds the customers of input partition p, n its partition
 * count: as many as the input's is the rule, fewer still work), compacted on a real broker. It is
 * how a partition's customers (journey, cart, timers, history, caps, open offers: engine/state.c)
 * move with the partition on a rebalance, a restart or a crash.
 *
 * Records, at every commit:
 *  - each customer changed since the last commit (by an event or a timer): key the customer
 *    id, value its state (xs_engine_customer_export); a tombstone (null value) for one whose
 *    state ended (FORGET, eviction); header PART_HEADER the input partition (decimal);
 *  - then, for each owned partition whose processed offset moved, a commit marker: key
 *    MARK_KEY + the input partition (decimal; a NUL byte first: no customer id has one), value
 *    "XSM1" + the offset after the last record processed (i64 LE). What precedes a partition's
 *    marker is its customers' state with exactly the input before that offset processed.
 * Under exactly-once they go in the commit's transaction with the outputs and the input offsets,
 * the markers once the transaction's other records were acknowledged.
 * Under at-least-once the markers are produced only once every output and customer record
 * before them was acknowledged (the flush), then the input offsets are committed: a marker
 * never names input whose outputs could still be lost, so a restore may replay (outputs
 * discarded) or skip up to it even when a crash came before the offsets' commit.
 *
 * On assignment a partition's changelog partition is read to its end: the last state of each
 * customer before the last marker is imported (records after it are an unfinished commit's),
 * and the input is consumed from the marker's offset, which is where that state stands (on a
 * broker that stores no transactional offsets, such as the embedded one, this is also what
 * keeps exactly-once from reading the input again from its start). On the first assignment,
 * with state.restore=replay, the markers only extend the replay (rebalance.c), which rebuilds
 * the window as well as the customers.
 *
 * Bounds: a partition's changelog is read within 600 s and held in memory while it is read
 * (one entry per customer: compaction keeps it near the live customer count).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/frontier.h"
#include "engine/stepper.h"
#include "kafka/changelog.h"
#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/panes.h"
#include "kafka/produce.h"
#include "util/le.h"
#include "util/log.h"
#include "util/xs_uthash.h"
#include "xsell/engine.h"

static const char MARK_KEY[] = "\0xsell.commit.";
#define MARK_KLEN   (sizeof(MARK_KEY) - 1)
#define MARK_VLEN   12
#define PART_HEADER "xsell.partition"
static const char STAGE_KEY[] = "\0xsell.stage.";
#define STAGE_KLEN  (sizeof(STAGE_KEY) - 1)
#define STAGE_HLEN  36 /* "XST1", time, sealed point, generation (i64), chunk, chunks (u32) */
#define STAGE_CHUNK (256 * 1024) /* of a stage's bytes per record */

int xs_rt_changelog_start(struct xs_rt *rt)
{
        for (int i = 0; i < 1024; i++)
                rt->cl_marked[i] = -1;
        if (!rt->p->state_changelog)
                return 0;
        snprintf(rt->changelog_topic, sizeof(rt->changelog_topic), "%s-customers-changelog",
                 rt->p->application_id);
        int n_in = xs_kafka_partition_count(rt->producer, rt->p->topic_events, 30000);
        int n = xs_kafka_partition_count(rt->producer, rt->changelog_topic, 10000);
        if (n <= 0) {
                xs_log_kv(XS_LOG_ERROR, "changelog", XS_KV(XS_KV_STR("topic", rt->changelog_topic)),
                          "internal topic %s does not exist and could not be created: create it "
                          "(compacted, as many partitions as %s), or set state.changelog=false",
                          rt->changelog_topic, rt->p->topic_events);
                return -1;
        }
        if (n_in > n && !rt->o->quiet) /* works, but a restore reads others' records too */
                xs_log_kv(XS_LOG_WARN, "changelog",
                          XS_KV(XS_KV_STR("topic", rt->changelog_topic), XS_KV_INT("partitions", n),
                                XS_KV_INT("input_partitions", n_in)),
                          "internal topic %s has %d partitions, %s has %d: give it as many",
                          rt->changelog_topic, n, rt->p->topic_events, n_in);
        rt->n_cl_parts = n;
        xs_engine_track_changes(rt->eng, 1);
        return 0;
}

static int put_change(void *opaque, const char *id, uint32_t tag, const unsigned char *buf,
                      size_t len)
{
        struct xs_rt *rt = opaque;
        if (tag >= 1024) {
                rt->st.changelog_unmapped++; /* not an input partition's customer */
                return 0;
        }
        char num[16];
        snprintf(num, sizeof(num), "%u", tag);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(h, PART_HEADER, -1, num, -1);
        int rc =
            xs_rt_produce_to(rt, rt->changelog_topic, (int32_t)(tag % (uint32_t)rt->n_cl_parts), id,
                             strlen(id), buf, len, 0, h, NULL);
        rd_kafka_headers_destroy(h);
        if (rc != 0)
                return -1;
        if (buf)
                rt->st.changelog_written++;
        else
                rt->st.changelog_tombstones++;
        return 0;
}

/* Partition part's stage record(s): its time as of its processed records, the point its panes
 * were sealed to and, with shared panes, its stage (xs_engine_stage_export), in chunks of
 * STAGE_CHUNK bytes under keys STAGE_KEY + part (chunk 0) and STAGE_KEY + part.k; every chunk of
 * one write carries the offset it stands at (its generation) and the chunk count. */
static int put_stage(struct xs_rt *rt, int32_t part)
{
        unsigned char *stage = NULL;
        size_t len = 0;
        if (xs_engine_stage_export(rt->eng, (uint32_t)part, &stage, &len) != 0) {
                xs_rt_set_fatal(rt, "%s", "changelog: out of memory exporting a stage");
                return -1;
        }
        if (!rt->panecons) { /* panes not shared: each instance folds its own (the time alone) */
                len = 8;
                memset(stage + 4, 0, 4);
        }
        uint32_t n = (uint32_t)((len + STAGE_CHUNK - 1) / STAGE_CHUNK);
        /* the point its panes were sealed (published) to: the rest is in the stage */
        int64_t sealed = xs_frontier_done(xs_stepper_frontier(rt->stepper), (uint32_t)part);
        unsigned char *v = malloc(STAGE_HLEN + (len < STAGE_CHUNK ? len : STAGE_CHUNK));
        char num[16];
        snprintf(num, sizeof(num), "%d", (int)part);
        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
        rd_kafka_header_add(h, PART_HEADER, -1, num, -1);
        int rc = v ? 0 : -1;
        for (uint32_t k = 0; k < n && rc == 0; k++) {
                size_t at = (size_t)k * STAGE_CHUNK,
                       cl = len - at < STAGE_CHUNK ? len - at : STAGE_CHUNK;
                memcpy(v, "XST1", 4);
                xs_le_put(v + 4, (uint64_t)rt->done_time[part], 8);
                xs_le_put(v + 12, (uint64_t)sealed, 8);
                xs_le_put(v + 20, (uint64_t)rt->done_off[part], 8);
                xs_le_put(v + 28, k, 4);
                xs_le_put(v + 32, n, 4);
                memcpy(v + STAGE_HLEN, stage + at, cl);
                char key[64];
                memcpy(key, STAGE_KEY, STAGE_KLEN);
                int kl =
                    (int)STAGE_KLEN +
                    (k ? snprintf(key + STAGE_KLEN, sizeof(key) - STAGE_KLEN, "%d.%u", (int)part, k)
                       : snprintf(key + STAGE_KLEN, sizeof(key) - STAGE_KLEN, "%d", (int)part));
                rc = xs_rt_produce_to(rt, rt->changelog_topic, part % rt->n_cl_parts, key,
                                      (size_t)kl, v, STAGE_HLEN + cl, 0, h, NULL);
                if (rc == 0)
                        rt->st.changelog_stage_bytes += STAGE_HLEN + cl;
        }
        if (rc == 0)
                rt->st.changelog_stages++;
        else if (!v)
                xs_rt_set_fatal(rt, "%s", "changelog: out of memory writing a stage");
        rd_kafka_headers_destroy(h);
        free(v);
        free(stage);
        return rc;
}

int xs_rt_changelog_write(struct xs_rt *rt)
{
        if (!rt->n_cl_parts || rt->fatal)
                return 0;
        if (xs_engine_changes(rt->eng, put_change, rt) != 0)
                return -1;
        /* each partition's stage (and time) where its events or seals changed it: before its
         * marker, which it stands at like the customers */
        for (int k = 0; rt->stepper && k < rt->n_parts; k++) {
                int32_t part = rt->parts[k];
                if (rt->done_off[part] >= 0 && xs_engine_stage_dirty(rt->eng, (uint32_t)part) &&
                    put_stage(rt, part) != 0)
                        return -1;
        }
        return 0;
}

int xs_rt_changelog_mark(struct xs_rt *rt)
{
        return xs_rt_changelog_mark_at(rt, rt->done_off);
}

int xs_rt_changelog_mark_at(struct xs_rt *rt, const int64_t *offs)
{
        if (!rt->n_cl_parts || rt->fatal)
                return 0;
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t part = rt->parts[k];
                int64_t off = offs[part];
                if (off < 0 || off == rt->cl_marked[part])
                        continue;
                unsigned char v[MARK_VLEN] = {'X', 'S', 'M', '1'};
                xs_le_put(v + 4, (uint64_t)off, 8);
                char key[32];
                memcpy(key, MARK_KEY, MARK_KLEN);
                int klen = (int)MARK_KLEN +
                           snprintf(key + MARK_KLEN, sizeof(key) - MARK_KLEN, "%d", (int)part);
                if (xs_rt_produce_to(rt, rt->changelog_topic, part % rt->n_cl_parts, key,
                                     (size_t)klen, v, sizeof(v), 0, NULL, NULL) != 0)
                        return -1;
                rt->cl_marked[part] = off;
                rt->st.changelog_markers++;
        }
        return 0;
}

/* ---- restore on assignment ---------------------------------------------------------- */

/* A customer's records in one changelog partition: the latest (pending) and the latest before a
 * commit marker that came after it (done). Each is a value (NULL: a tombstone) or absent. */
struct state_rec {
        unsigned char *value;
        size_t vlen;
        int64_t offset; /* -1: absent */
};

struct last {
        UT_hash_handle hh;
        int32_t part;
        struct state_rec done, pending;
        char key[];
};

static void last_put(struct last **map, const rd_kafka_message_t *m, int32_t part,
                     const int64_t *marked, uint64_t *bad)
{
        struct last *e;
        HASH_FIND(hh, *map, m->key, m->key_len, e);
        if (!e) {
                e = calloc(1, sizeof(*e) + m->key_len + 1);
                if (!e) {
                        (*bad)++;
                        return;
                }
                memcpy(e->key, m->key, m->key_len);
                e->done.offset = e->pending.offset = -1;
                HASH_ADD(hh, *map, key, m->key_len, e);
        }
        if (e->pending.offset >= 0 && e->pending.offset < *marked) {
                /* a marker came after it: it stood */
                free(e->done.value);
                e->done = e->pending;
        } else {
                free(e->pending.value);
        }
        e->pending = (struct state_rec){NULL, 0, m->offset};
        e->part = part;
        if (m->payload && (e->pending.value = malloc(m->len ? m->len : 1))) {
                memcpy(e->pending.value, m->payload, m->len);
                e->pending.vlen = m->len;
        } else if (m->payload) {
                (*bad)++;
        }
}

/* The input partition a changelog record belongs to: its marker key's number, its PART_HEADER,
 * or (a record without one) the changelog partition's own number. -1 if unreadable. */
static int32_t input_partition(const rd_kafka_message_t *m, int *is_mark)
{
        char num[16];
        size_t n = 0;
        *is_mark = m->key_len > MARK_KLEN && m->key_len < MARK_KLEN + sizeof(num) &&
                   !memcmp(m->key, MARK_KEY, MARK_KLEN);
        if (*is_mark) {
                n = m->key_len - MARK_KLEN;
                memcpy(num, (const char *)m->key + MARK_KLEN, n);
        } else {
                rd_kafka_headers_t *h = NULL;
                const void *v = NULL;
                size_t vn = 0;
                if (rd_kafka_message_headers(m, &h) ||
                    rd_kafka_header_get_last(h, PART_HEADER, &v, &vn) || vn >= sizeof(num))
                        return m->partition;
                n = vn;
                memcpy(num, v, n);
        }
        num[n] = 0;
        char *end = NULL;
        long p = strtol(num, &end, 10);
        return n && *end == 0 && p >= 0 && p < 1024 ? (int32_t)p : -1;
}

/* A chunk of a partition's stage record, as of its partition's last marker. */
struct chunk {
        int idx; /* in parts */
        uint32_t k, n;
        int64_t time, sealed, gen;
        unsigned char *v; /* the record's value (owned) */
        size_t len;
};

/* Keeps the chunk st of stage key e (taking its value), for stages_import. */
static void chunk_keep(struct chunk **ch, size_t *n_ch, int idx, struct state_rec *st,
                       uint64_t *bad)
{
        if (st->vlen < STAGE_HLEN || memcmp(st->value, "XST1", 4) != 0) {
                (*bad)++;
                return;
        }
        struct chunk *c = realloc(*ch, (*n_ch + 1) * sizeof(**ch));
        if (!c) {
                (*bad)++;
                return;
        }
        *ch = c;
        c[*n_ch] = (struct chunk){.idx = idx,
                                  .time = (int64_t)xs_le_get(st->value + 4, 8),
                                  .sealed = (int64_t)xs_le_get(st->value + 12, 8),
                                  .gen = (int64_t)xs_le_get(st->value + 20, 8),
                                  .k = (uint32_t)xs_le_get(st->value + 28, 4),
                                  .n = (uint32_t)xs_le_get(st->value + 32, 4),
                                  .v = st->value,
                                  .len = st->vlen};
        (*n_ch)++;
        st->value = NULL;
}

/* Chunk k of the stage record whose chunk 0 is c0 (the same write: generation and count), or
 * NULL. */
static const struct chunk *chunk_of(const struct chunk *ch, size_t n_ch, const struct chunk *c0,
                                    uint32_t k)
{
        for (size_t j = 0; j < n_ch; j++)
                if (ch[j].idx == c0->idx && ch[j].k == k && ch[j].gen == c0->gen &&
                    ch[j].n == c0->n)
                        return &ch[j];
        return NULL;
}

/* Each partition's stage and time from its chunks: the partition's time restored (what is late
 * in it stays what was late before the move) and, with shared panes, its staged panes, which
 * its previous owner dropped unsealed (hold.c) and which seal here to what they would have. */
static void stages_import(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *parts,
                          const struct chunk *ch, size_t n_ch, uint64_t *bad)
{
        char err[512];
        for (int i = 0; rt->stepper && i < parts->cnt; i++) {
                const struct chunk *c0 = NULL;
                for (size_t j = 0; j < n_ch && !c0; j++)
                        if (ch[j].idx == i && ch[j].k == 0)
                                c0 = &ch[j];
                if (!c0)
                        continue; /* no stage record before its marker */
                int32_t part = parts->elems[i].partition;
                size_t total = 0;
                uint32_t found = 0;
                for (uint32_t k = 0; k < c0->n; k++) {
                        const struct chunk *c = chunk_of(ch, n_ch, c0, k);
                        found += c != NULL;
                        total += c ? c->len - STAGE_HLEN : 0;
                }
                unsigned char *buf = found == c0->n ? malloc(total ? total : 1) : NULL;
                for (size_t k = 0, at = 0; buf && k < c0->n; k++) {
                        const struct chunk *c = chunk_of(ch, n_ch, c0, (uint32_t)k);
                        memcpy(buf + at, c->v + STAGE_HLEN, c->len - STAGE_HLEN);
                        at += c->len - STAGE_HLEN;
                }
                if (!buf)
                        snprintf(err, sizeof(err), "%u of its %u records found", found, c0->n);
                if (!buf ||
                    (rt->panecons && xs_engine_stage_import(rt->eng, (uint32_t)part, buf, total,
                                                            err, sizeof(err)) != 0)) {
                        (*bad)++;
                        xs_log_kv(XS_LOG_WARN, "changelog",
                                  XS_KV(XS_KV_STR("topic", rt->changelog_topic),
                                        XS_KV_INT("partition", part)),
                                  "the staged panes of partition %d were not restored (%s): the "
                                  "panes it had open count only what is read from now on",
                                  (int)part, err);
                } else if (rt->panecons) {
                        rt->st.changelog_stages_restored++;
                        xs_rt_panes_gate(rt, part, c0->sealed);
                }
                free(buf);
                if (c0->time != INT64_MIN)
                        xs_frontier_set_time(xs_stepper_frontier(rt->stepper), (uint32_t)part,
                                             c0->time);
        }
}

int xs_rt_changelog_read(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *parts, int import,
                         int64_t *marks)
{
        char err[512];
        for (int i = 0; i < parts->cnt; i++)
                marks[i] = -1;
        if (!rt->n_cl_parts)
                return 0;
        int n = parts->cnt;
        /* per input partition of parts: the changelog offset of its last marker read (-1:
         * none); per changelog partition read: its end, and whether it is still being read */
        int64_t *marked_at = malloc((size_t)n * sizeof(*marked_at));
        int64_t *hi = calloc((size_t)rt->n_cl_parts, sizeof(*hi));
        unsigned char *open = calloc((size_t)rt->n_cl_parts, 1);
        rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(n);
        int n_open = 0;
        int64_t planned = 0;
        if (!marked_at || !hi || !open) {
                free(marked_at);
                free(hi);
                free(open);
                rd_kafka_topic_partition_list_destroy(want);
                xs_rt_set_fatal(rt, "%s", "changelog restore: out of memory");
                return -1;
        }
        for (int i = 0; i < n; i++) {
                marked_at[i] = -1;
                int32_t in = parts->elems[i].partition;
                if (in < 0 || in >= 1024)
                        continue;
                int32_t p = in % rt->n_cl_parts;
                int64_t lo = 0;
                if (open[p])
                        continue;
                rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
                    rt->producer, rt->changelog_topic, p, &lo, &hi[p], 10000);
                if (e) {
                        xs_log_kv(XS_LOG_WARN, "changelog",
                                  XS_KV(XS_KV_STR("topic", rt->changelog_topic),
                                        XS_KV_INT("partition", p)),
                                  "the end of %s [%" PRId32 "] is unknown (%s): its customers "
                                  "are not restored",
                                  rt->changelog_topic, p, rd_kafka_err2str(e));
                        continue;
                }
                if (hi[p] <= lo)
                        continue;
                rd_kafka_topic_partition_list_add(want, rt->changelog_topic, p)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
                planned += hi[p] - lo;
                open[p] = 1;
                n_open++;
        }
        rd_kafka_t *rc = NULL;
        if (n_open) {
                char id[300];
                snprintf(id, sizeof(id), "%s-changelog-restore", rt->p->application_id);
                rd_kafka_conf_t *kc = xs_kafka_conf(
                    rt->conf, rt->o->bootstrap,
                    (const char *const[]){"group.id", id, "client.id", id, "enable.auto.commit",
                                          "false", "isolation.level", "read_committed",
                                          "enable.partition.eof", "true", "fetch.wait.max.ms", "10",
                                          NULL},
                    err, sizeof(err));
                rc = kc ? rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)) : NULL;
                if (!rc) {
                        if (kc)
                                rd_kafka_conf_destroy(kc);
                        xs_log(XS_LOG_ERROR, "changelog", "changelog restore: %s", err);
                        n_open = 0;
                }
        }
        if (!rc) {
                int failed = want->cnt > 0; /* there was something to read */
                free(marked_at);
                free(hi);
                free(open);
                rd_kafka_topic_partition_list_destroy(want);
                return failed ? -1 : 0;
        }
        rd_kafka_poll_set_consumer(rc);
        rd_kafka_assign(rc, want);
        xs_obs_restore_begin(rt, planned, 0); /* not ready while it runs */
        if (!rt->o->quiet)
                xs_log_kv(XS_LOG_INFO, "changelog", XS_KV(XS_KV_INT("partitions", n)),
                          import ? "restoring the customers of %d partition(s) from %s"
                                 : "reading the commit markers of %d partition(s) in %s",
                          n, rt->changelog_topic);
        struct last *map = NULL, *e, *tmp;
        uint64_t bad = 0, n_read = 0;
        double deadline = xs_rt_now() + 600;
        while (n_open > 0 && xs_rt_now() < deadline && !(rt->o->stop && *rt->o->stop)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rc, 200);
                if (!m || (n_read & 1023) == 0)
                        xs_obs_restore_progress(rt, "read", (int64_t)n_read);
                if (!m)
                        continue;
                int32_t cp = m->partition;
                int eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
                if (cp >= 0 && cp < rt->n_cl_parts && open[cp] &&
                    (eof || (!m->err && m->offset >= hi[cp] - 1))) {
                        open[cp] = 0;
                        n_open--;
                }
                if (m->err) {
                        if (!eof)
                                xs_kafka_log_consumer_error(rc, m, "changelog");
                        rd_kafka_message_destroy(m);
                        continue;
                }
                n_read++;
                int is_mark = 0;
                int32_t in = input_partition(m, &is_mark);
                int idx = xs_kafka_part_index(parts, in);
                if (in < 0 || !m->key || !m->key_len) {
                        bad++;
                } else if (idx < 0) {
                        /* another input partition's (fewer changelog partitions than input) */
                } else if (is_mark) {
                        const unsigned char *v = m->payload;
                        if (m->len != MARK_VLEN || memcmp(v, "XSM1", 4) != 0) {
                                bad++;
                        } else {
                                marks[idx] = (int64_t)xs_le_get(v + 4, 8);
                                marked_at[idx] = m->offset; /* what precedes it stands */
                        }
                } else {
                        last_put(&map, m, in, &marked_at[idx], &bad);
                }
                rd_kafka_message_destroy(m);
        }
        if (n_open > 0 && !(rt->o->stop && *rt->o->stop))
                xs_log(XS_LOG_WARN, "changelog",
                       "%d changelog partition(s) not read to their end within 600 s: "
                       "customers restored from what was read",
                       n_open);
        rd_kafka_consumer_close(rc);
        rd_kafka_destroy(rc);
        /* import the state each customer had at its partition's last marker */
        uint64_t restored = 0, tail = 0;
        struct chunk *ch = NULL;
        size_t n_ch = 0;
        HASH_ITER(hh, map, e, tmp)
        {
                int idx = xs_kafka_part_index(parts, e->part);
                struct state_rec *st = &e->pending;
                if (idx < 0 || e->pending.offset >= marked_at[idx]) {
                        tail++; /* after the last marker: an unfinished commit's */
                        st = &e->done;
                }
                if (e->hh.keylen > STAGE_KLEN && !memcmp(e->key, STAGE_KEY, STAGE_KLEN)) {
                        if (import && idx >= 0 && st->offset >= 0 && st->value)
                                chunk_keep(&ch, &n_ch, idx, st, &bad);
                } else if (import && st->offset >= 0 && st->value) {
                        xs_engine_set_tag(rt->eng, (uint32_t)e->part);
                        if (xs_engine_customer_import(rt->eng, st->value, st->vlen, err,
                                                      sizeof(err)) == XS_OK)
                                restored++;
                        else
                                bad++;
                }
                HASH_DEL(map, e);
                free(e->done.value);
                free(e->pending.value);
                free(e);
        }
        stages_import(rt, parts, ch, n_ch, &bad);
        for (size_t j = 0; j < n_ch; j++)
                free(ch[j].v);
        free(ch);
        xs_obs_restore_end(rt);
        rt->st.changelog_restored += restored;
        rt->st.changelog_tail_skipped += tail;
        rt->st.changelog_bad += bad;
        if (!rt->o->quiet && import)
                xs_log_kv(
                    XS_LOG_INFO, "changelog",
                    XS_KV(XS_KV_INT("customers", (int64_t)restored),
                          XS_KV_INT("records", (int64_t)n_read),
                          XS_KV_INT("unfinished", (int64_t)tail), XS_KV_INT("bad", (int64_t)bad)),
                    "restored %" PRIu64 " customers from %" PRIu64 " changelog records (%" PRIu64
                    " of an unfinished commit skipped, %" PRIu64 " bad)",
                    restored, n_read, tail, bad);
        free(marked_at);
        free(hi);
        free(open);
        rd_kafka_topic_partition_list_destroy(want);
        return 0;
}
