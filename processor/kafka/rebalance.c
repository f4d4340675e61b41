/*
 * Partitions of the events topic assigned to this instance and revoked from it, with the
 * cooperative (incremental) or the eager protocol; and the engine's state rebuilt on start.
 *
 * Assigned: the first assignment restores state (below); each partition joins the assigned set
 * that stream time and run.idle_exit scan (numbers below 1024). Revoked: what was processed is
 * made durable first (commit.c), unless the assignment is lost, when another member owns the
 * partitions already and a commit would be refused (the open transaction is aborted instead);
 * then the partitions' customers are dropped with their timers, so that no two instances run
 * the same journey. A revocation of the whole assignment parks the partitions instead, and the
 * next assignment keeps those it gives back untouched (unpark).
 *
 * State on start (state.restore=replay): the engine is rebuilt by replaying each assigned
 * partition from its beginning up to the committed offset, merged in event-time order, with
 * the outputs discarded (they were produced before). Partitions assigned later in the run start
 * from their committed offsets. A partition whose committed offset is beyond its log end (a
 * recreated topic) is not restored and its offset is reset (reset_beyond_end); one whose end
 * cannot be queried is not restored either; a warning says so.
 * Bounds: at most state.restore_max_events per partition (the most recent), read within 600 s
 * and held in memory until they are replayed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/changelog.h"
#include "kafka/commit.h"
#include "kafka/decode.h"
#include "kafka/hold.h"
#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/produce.h"
#include "kafka/rebalance.h"
#include "util/log.h"
#include "xsell/engine.h"
#include "xsell/event.h"

/* ---- state restore ------------------------------------------------------------------ */

struct restore_rec {
        struct xs_event *ev;
        int32_t partition;
        int64_t offset;
};

static int restore_cmp(const void *x, const void *y)
{
        const struct restore_rec *a = x, *b = y;
        if (a->ev->event_time != b->ev->event_time)
                return a->ev->event_time < b->ev->event_time ? -1 : 1;
        if (a->partition != b->partition)
                return a->partition < b->partition ? -1 : 1;
        return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int restore_cmp_offset(const void *x, const void *y)
{
        const struct restore_rec *a = x, *b = y;
        if (a->partition != b->partition)
                return a->partition < b->partition ? -1 : 1;
        return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* A committed offset beyond the log end (the topic was recreated or truncated) names records
 * that do not exist: the restore waited up to 600 s for them (issue 10 item 8), and since
 * librdkafka never commits an offset below the one committed, the group would read the
 * partition again from auto.offset.reset on every start. Nothing of this log was processed by
 * the group: its offset is set to where auto.offset.reset points (the log start by default, the
 * end for latest; left alone for error), and a warning names the partition; its changelog
 * marker (marks, parallel to parts) names an offset of the old log and is dropped. Called on
 * every assignment, before the restore; one watermark query per partition. */
static void reset_beyond_end(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *parts,
                             int64_t *marks)
{
        rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
        if (rd_kafka_committed(rt->consumer, committed, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_topic_partition_list_destroy(committed);
                return;
        }
        char reset[32] = "";
        size_t rn = sizeof(reset);
        rd_kafka_conf_get(rd_kafka_conf(rt->consumer), "auto.offset.reset", reset, &rn);
        int to_end = !strcmp(reset, "largest") || !strcmp(reset, "latest") || !strcmp(reset, "end");
        int leave = !strcmp(reset, "error");
        rd_kafka_topic_partition_list_t *fix = rd_kafka_topic_partition_list_new(parts->cnt);
        for (int i = 0; i < committed->cnt; i++) {
                rd_kafka_topic_partition_t *c = &committed->elems[i];
                int64_t lo = 0, hi = 0;
                if (c->offset <= 0 ||
                    rd_kafka_query_watermark_offsets(rt->consumer, c->topic, c->partition, &lo, &hi,
                                                     10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
                    c->offset <= hi)
                        continue;
                rt->st.offsets_beyond_end++;
                for (int k = 0; k < parts->cnt; k++)
                        if (parts->elems[k].partition == c->partition)
                                marks[k] = -1;
                int64_t to = to_end ? hi : lo;
                xs_log_kv(XS_LOG_WARN, "kafka",
                          XS_KV(XS_KV_STR("topic", c->topic), XS_KV_INT("partition", c->partition),
                                XS_KV_INT("committed", c->offset), XS_KV_INT("end", hi)),
                          "committed offset %" PRId64 " of %s [%" PRId32
                          "] is beyond its log end %" PRId64
                          " (a recreated or truncated topic): nothing to restore from it; %s",
                          c->offset, c->topic, c->partition, hi,
                          leave ? "auto.offset.reset=error: left as it is"
                          : to_end
                              ? "the group's offset is set to the log end (auto.offset.reset)"
                              : "the group's offset is set to the log start (auto.offset.reset)");
                if (!leave)
                        rd_kafka_topic_partition_list_add(fix, c->topic, c->partition)->offset = to;
        }
        if (fix->cnt) {
                rd_kafka_resp_err_t e = rd_kafka_commit(rt->consumer, fix, 0);
                if (e)
                        xs_log(XS_LOG_WARN, "kafka", "setting the offsets beyond the log end: %s",
                               rd_kafka_err2str(e));
        }
        rd_kafka_topic_partition_list_destroy(fix);
        rd_kafka_topic_partition_list_destroy(committed);
}

/* Replays each partition of parts from its start to its committed offset, or to the offset
 * its last changelog marker names (marks, parallel to parts; -1 none) when that is further, in
 * event-time order, with outputs discarded. Bounded by state.restore_max_events. */
static void restore(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *parts,
                    const int64_t *marks)
{
        char err[512];
        rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(parts);
        if (rd_kafka_committed(rt->consumer, committed, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_topic_partition_list_destroy(committed);
                return;
        }
        for (int i = 0; i < committed->cnt; i++)
                for (int k = 0; k < parts->cnt; k++)
                        if (parts->elems[k].partition == committed->elems[i].partition &&
                            marks[k] > committed->elems[i].offset)
                                committed->elems[i].offset = marks[k];
        int64_t max_events = rt->p->state_restore_max_events;
        rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(parts->cnt);
        int64_t total = 0, skipped = 0;
        for (int i = 0; i < committed->cnt; i++) {
                rd_kafka_topic_partition_t *c = &committed->elems[i];
                if (c->offset <= 0)
                        continue;
                int64_t lo = 0, hi = 0;
                rd_kafka_resp_err_t qe = rd_kafka_query_watermark_offsets(
                    rt->consumer, c->topic, c->partition, &lo, &hi, 10000);
                if (qe) {
                        rt->st.restore_skipped++;
                        xs_log_kv(XS_LOG_WARN, "kafka",
                                  XS_KV(XS_KV_STR("topic", c->topic),
                                        XS_KV_INT("partition", c->partition)),
                                  "restore: the log end of %s [%" PRId32 "] is unknown (%s): "
                                  "its state is not restored",
                                  c->topic, c->partition, rd_kafka_err2str(qe));
                        continue;
                }
                if (c->offset > hi) { /* reset_beyond_end could not move it: see there */
                        rt->st.restore_skipped++;
                        continue;
                }
                int64_t start = lo;
                if (c->offset - start > max_events) {
                        skipped += c->offset - start - max_events;
                        start = c->offset - max_events; /* keep the most recent */
                }
                if (c->offset <= start)
                        continue;
                rd_kafka_topic_partition_list_add(want, c->topic, c->partition)->offset = start;
                total += c->offset - start;
        }
        if (!want->cnt) {
                rd_kafka_topic_partition_list_destroy(want);
                rd_kafka_topic_partition_list_destroy(committed);
                return;
        }
        if (!rt->o->quiet)
                xs_log_kv(XS_LOG_INFO, "restore",
                          XS_KV(XS_KV_INT("partitions", want->cnt), XS_KV_INT("events", total)),
                          "restoring state from %d partition(s), up to %" PRId64 " events",
                          want->cnt, total);
        xs_obs_restore_begin(rt, total, skipped);
        /* named after application.id, so ACLs on its prefix cover this client and group too */
        char id[300];
        snprintf(id, sizeof(id), "%s-restore", rt->p->application_id);
        rd_kafka_conf_t *kc = xs_kafka_conf(
            rt->conf, rt->o->bootstrap,
            (const char *const[]){"group.id", id, "client.id", id, "enable.auto.commit", "false",
                                  "fetch.wait.max.ms", "10", "enable.partition.eof", "true", NULL},
            err, sizeof(err));
        rd_kafka_t *rc = kc ? rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)) : NULL;
        if (!rc) {
                if (kc)
                        rd_kafka_conf_destroy(kc);
                xs_log(XS_LOG_ERROR, "restore", "restore: %s", err);
                goto out;
        }
        rd_kafka_poll_set_consumer(rc); /* its error events are served by consumer_poll */
        rd_kafka_assign(rc, want);
        struct restore_rec *recs = NULL;
        size_t n = 0, cap = 0;
        int open = want->cnt;
        double deadline = xs_rt_now() + 600;
        int64_t *ends = calloc((size_t)want->cnt, sizeof(*ends));
        unsigned char *done = calloc((size_t)want->cnt, 1);
        if (!ends || !done)
                open = 0;
        for (int i = 0; ends && i < want->cnt; i++)
                for (int k = 0; k < committed->cnt; k++)
                        if (committed->elems[k].partition == want->elems[i].partition)
                                ends[i] = committed->elems[k].offset;
        while (open > 0 && xs_rt_now() < deadline && !(rt->o->stop && *rt->o->stop)) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rc, 200);
                if (!m || (n & 1023) == 0) /* progress: logged, liveness, metrics */
                        xs_obs_restore_progress(rt, "read", (int64_t)n);
                if (!m)
                        continue;
                int idx = -1;
                for (int i = 0; i < want->cnt; i++)
                        if (want->elems[i].partition == m->partition)
                                idx = i;
                /* a partition is read to its committed offset when the record before it
                 * arrives, or one at or after it, or the end of the log: the record before it
                 * may be a transaction marker (exactly-once), which is never delivered */
                int last = idx >= 0 && !m->err && m->offset >= ends[idx] - 1;
                int eof = idx >= 0 && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
                if (idx >= 0 && !done[idx] && (last || eof)) {
                        done[idx] = 1;
                        open--;
                }
                if (m->err || idx < 0 || m->offset >= ends[idx]) {
                        rd_kafka_message_destroy(m);
                        continue;
                }
                struct xs_event ev;
                const char *stage;
                if (xs_rt_decode_event(rt, m, &ev, &stage, err, sizeof(err)) == XS_OK) {
                        if (n == cap) {
                                cap = cap ? cap * 2 : 4096;
                                struct restore_rec *r = realloc(recs, cap * sizeof(*r));
                                if (!r) {
                                        rd_kafka_message_destroy(m);
                                        break;
                                }
                                recs = r;
                        }
                        recs[n].ev = xs_event_copy(&ev);
                        recs[n].partition = m->partition;
                        recs[n].offset = m->offset;
                        if (recs[n].ev)
                                n++;
                }
                rd_kafka_message_destroy(m);
        }
        if (open > 0 && !(rt->o->stop && *rt->o->stop))
                xs_log(XS_LOG_WARN, "kafka",
                       "restore: %d partition(s) not read to their committed offset within "
                       "600 s: state restored from what was read",
                       open);
        free(ends);
        free(done);
        rd_kafka_consumer_close(rc);
        rd_kafka_destroy(rc);
        qsort(recs, n, sizeof(*recs), rt->stepper ? restore_cmp_offset : restore_cmp);
        rt->restoring = 1;
        for (size_t i = 0; rt->stepper && i < n; i++) {
                /* window.visibility=sealed: each partition in its order, through the stepper
                 * as when they were first processed; those still held afterwards are processed
                 * in their turn with their outputs discarded (hold.c) */
                if ((i & 1023) == 0)
                        xs_obs_restore_progress(rt, "replayed", (int64_t)i);
                if (xs_rt_hold_restored(rt, recs[i].partition, recs[i].offset, recs[i].ev) != 0) {
                        xs_rt_set_fatal(rt, "%s", "restore: out of memory");
                        for (size_t k = i + 1; k < n; k++)
                                xs_event_free(recs[k].ev);
                        break;
                }
                xs_rt_hold_run(rt);
        }
        for (size_t i = 0; !rt->stepper && i < n; i++) {
                if ((i & 1023) == 0)
                        xs_obs_restore_progress(rt, "replayed", (int64_t)i);
                /* in event-time order: the replayed events move time themselves */
                int32_t part = recs[i].partition;
                int64_t t = recs[i].ev->event_time;
                xs_engine_set_tag(rt->eng, (uint32_t)part);
                /* only an accepted event moves time (as in handle_event, run.c) */
                if (xs_engine_process(rt->eng, recs[i].ev, err, sizeof(err)) == XS_OK) {
                        if (part >= 0 && part < 1024 && t > rt->part_max[part])
                                rt->part_max[part] = t;
                        xs_engine_advance(rt->eng, t);
                }
                xs_event_free(recs[i].ev);
        }
        rt->restoring = 0;
        rt->st.restored += n;
        free(recs);
        if (!rt->o->quiet)
                xs_log_kv(XS_LOG_INFO, "restore", XS_KV(XS_KV_INT("events", n)),
                          "restored %zu events", n);
out:
        xs_obs_restore_end(rt);
        rd_kafka_topic_partition_list_destroy(want);
        rd_kafka_topic_partition_list_destroy(committed);
}

/* ---- rebalancing -------------------------------------------------------------------- */

/* Keeps assigned_p[] and the compact parts[] list in step. */
static void assigned_set(struct xs_rt *rt, int32_t part, int on)
{
        if (part < 0 || part >= 1024 || rt->assigned_p[part] == on)
                return;
        rt->assigned_p[part] = (unsigned char)on;
        if (on) {
                rt->parts[rt->n_parts++] = part;
                return;
        }
        for (int k = 0; k < rt->n_parts; k++)
                if (rt->parts[k] == part) {
                        rt->parts[k] = rt->parts[--rt->n_parts];
                        break;
                }
}

/* Lets go of partition part: its staged panes sealed, its held input and its customers (with
 * their timers) dropped, so that its next owner alone runs them. */
static void release(struct xs_rt *rt, int32_t part)
{
        xs_rt_hold_revoke(rt, part);
        rt->st.customers_dropped += xs_engine_drop_tag(rt->eng, (uint32_t)part);
}

/* The partitions of an assignment that were not kept parked (parts: their offsets set here):
 * customers from the changelog, or on the first assignment the whole state replayed
 * (state.restore=replay) up to where the changelog says it stands; either way the input is
 * read from there (changelog.c). */
static void assign_rest(struct xs_rt *rt, rd_kafka_topic_partition_list_t *parts)
{
        /* every assigned partition holds the step back from now on, during the restore too:
         * one restored in full before the next must not move the step past what the others'
         * first events need (hold.c) */
        for (int i = 0; i < parts->cnt; i++)
                xs_rt_hold_assign(rt, parts->elems[i].partition);
        int64_t *marks = calloc((size_t)parts->cnt + 1, sizeof(*marks));
        if (!marks) {
                xs_rt_set_fatal(rt, "%s", "out of memory");
                return;
        }
        /* with the panes shared (panes.c) the window comes from the panes topic, and a replay
         * would meet partition times other instances' markers already moved (its events
         * late): the changelog then restores the customers from the start */
        int replay = !rt->first_assignment_done && !strcmp(rt->p->state_restore, "replay") &&
                     !(rt->panecons && rt->n_cl_parts);
        xs_rt_changelog_read(rt, parts, !replay, marks); /* marks -1 where none */
        reset_beyond_end(rt, parts, marks);
        if (replay)
                restore(rt, parts, marks);
        for (int i = 0; i < parts->cnt; i++)
                if (marks[i] >= 0)
                        parts->elems[i].offset = marks[i];
        free(marks);
}

/* The partitions a revocation parked, met by the next assignment (parts). One given back whose
 * durable position (the group's committed offset or its last changelog marker, the further) is
 * still the one it had when parked was processed nowhere else in between: it is kept as it is
 * (customers, staged panes, held input) and read on from after the last record read (keep[i]
 * = 1, its offset set in parts). Every other parked partition is released as a revocation
 * releases one: its staged panes sealed, its held input and its customers dropped (the new
 * owner, or this instance's restore below, takes over from the durable position). */
static void unpark(struct xs_rt *rt, rd_kafka_topic_partition_list_t *parts, unsigned char *keep)
{
        rd_kafka_topic_partition_list_t *cand = rd_kafka_topic_partition_list_new(parts->cnt + 1);
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (p >= 0 && p < 1024 && rt->parked[p])
                        rd_kafka_topic_partition_list_add(cand, parts->elems[i].topic, p);
        }
        int64_t *marks = calloc((size_t)cand->cnt + 1, sizeof(*marks));
        rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(cand);
        int known =
            marks && cand->cnt > 0 &&
            rd_kafka_committed(rt->consumer, committed, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (known)
                xs_rt_changelog_read(rt, cand, 0, marks); /* -1 where none */
        for (int k = 0; known && k < cand->cnt; k++) {
                int32_t p = cand->elems[k].partition;
                int64_t c = committed->elems[k].offset >= 0 ? committed->elems[k].offset : -1;
                int64_t durable = marks[k] > c ? marks[k] : c;
                if (durable != rt->parked_durable[p])
                        continue;
                int i = xs_kafka_part_index(parts, p);
                keep[i] = 1;
                parts->elems[i].offset = rt->fetch_off[p] >= 0 ? rt->fetch_off[p]
                                         : durable >= 0        ? durable
                                                               : RD_KAFKA_OFFSET_INVALID;
                rt->st.partitions_kept++;
        }
        free(marks);
        rd_kafka_topic_partition_list_destroy(committed);
        rd_kafka_topic_partition_list_destroy(cand);
        for (int p = 0; p < 1024 && rt->n_parked; p++) {
                if (!rt->parked[p])
                        continue;
                rt->parked[p] = 0;
                rt->n_parked--;
                int i = xs_kafka_part_index(parts, p);
                if (i < 0 || !keep[i])
                        release(rt, p);
        }
}

void xs_rt_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct xs_rt *rt = opaque;
        /* NULL once the member has left the group (a rebalance while closing after the group
         * forgot the member): then the configured assignor says which protocol it is */
        const char *proto = rd_kafka_rebalance_protocol(rk);
        char strategy[128] = "";
        size_t sn = sizeof(strategy);
        if (!proto)
                rd_kafka_conf_get(rd_kafka_conf(rk), "partition.assignment.strategy", strategy,
                                  &sn);
        int cooperative =
            proto ? !strcmp(proto, "COOPERATIVE") : strstr(strategy, "cooperative") != NULL;
        rt->st.rebalances++;
        /* run.idle_exit counts from the last change of the assignment too: an instance that
         * waited for its group to form must not leave it the moment the assignment settles */
        rt->last_input = xs_rt_now();
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                /* partitions parked by the last revocation: kept if given back untouched,
                 * released otherwise (unpark) */
                unsigned char *keep = calloc((size_t)parts->cnt + 1, 1);
                rd_kafka_topic_partition_list_t *rest =
                    rd_kafka_topic_partition_list_new(parts->cnt + 1);
                if (!keep || !rest) {
                        free(keep);
                        if (rest)
                                rd_kafka_topic_partition_list_destroy(rest);
                        xs_rt_set_fatal(rt, "%s", "out of memory");
                        return;
                }
                if (rt->n_parked)
                        unpark(rt, parts, keep);
                for (int i = 0; i < parts->cnt; i++)
                        if (!keep[i])
                                rd_kafka_topic_partition_list_add(rest, parts->elems[i].topic,
                                                                  parts->elems[i].partition)
                                    ->offset = parts->elems[i].offset;
                assign_rest(rt, rest);
                for (int i = 0; i < parts->cnt; i++)
                        if (!keep[i])
                                parts->elems[i].offset =
                                    rest->elems[xs_kafka_part_index(rest,
                                                                    parts->elems[i].partition)]
                                        .offset;
                free(keep);
                rd_kafka_topic_partition_list_destroy(rest);
                if (rt->fatal)
                        return;
                /* the first assignment that gives partitions (the cooperative protocol's first
                 * one may give none: a restore then would restore nothing) */
                if (parts->cnt > 0)
                        rt->first_assignment_done = 1;
                rt->joined = 1;
                for (int i = 0; i < parts->cnt; i++)
                        if (parts->elems[i].partition >= 0 && parts->elems[i].partition < 1024) {
                                assigned_set(rt, parts->elems[i].partition, 1);
                                rt->at_eof[parts->elems[i].partition] = 0;
                        }
                if (cooperative) {
                        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
                        if (e)
                                rd_kafka_error_destroy(e);
                } else {
                        rd_kafka_assign(rk, parts);
                }
                if (!rt->o->quiet)
                        xs_log_kv(XS_LOG_INFO, "rebalance",
                                  XS_KV(XS_KV_INT("partitions", parts->cnt)),
                                  "assigned %d partition(s)", parts->cnt);
                return;
        }
        /* revoked or lost: make what was processed durable first (unless the assignment is
         * lost: another member owns the partitions already and a commit would be refused) */
        int lost = rd_kafka_assignment_lost(rk), aborted = 0;
        if (lost) {
                if (rt->eos && rt->txn_open) {
                        aborted = 1;
                        rd_kafka_error_t *e = rd_kafka_abort_transaction(rt->producer, 30000);
                        if (e)
                                rd_kafka_error_destroy(e);
                        rt->txn_open = 0;
                        xs_rt_txn_clear(rt);
                }
        } else {
                xs_rt_commit_now(rt);
        }
        /* the whole assignment revoked (the eager protocol, or lost): the partitions are
         * parked, not released, so that those the next assignment gives back untouched go on
         * as if nothing happened (unpark). Not with shared panes (other instances' markers
         * move the step meanwhile, and with it the parked customers' timers), and not after
         * an exactly-once transaction was aborted (the state holds what it undid; with none
         * open, what was processed since the last commit produced nothing and its offsets go
         * with the next one). */
        int park = parts->cnt == rt->n_parts && !rt->panecons && !aborted;
        /* the aborted transaction's events are in the window, in duplicate suppression and in
         * the customers: only a state rebuilt from the input is right again, so this run ends
         * and the caller runs a new one (cmd_run.c), which replays up to the last marker */
        if (aborted && !rt->panecons && rt->o->carry) {
                rt->restart = 1;
                xs_rt_set_fatal(rt, "%s",
                                "exactly_once: the group took the assignment away with a "
                                "transaction open (a broker outage or a stall longer than "
                                "kafka.session.timeout.ms); it was aborted, and the state held "
                                "what it undid: rebuilding it from the input");
        }
        for (int i = 0; i < parts->cnt; i++) {
                int32_t p = parts->elems[i].partition;
                if (park && p >= 0 && p < 1024) {
                        xs_rt_hold_park(rt, p);
                        rt->parked[p] = 1;
                        rt->n_parked++;
                        rt->parked_durable[p] = rt->cl_marked[p] > rt->committed_off[p]
                                                    ? rt->cl_marked[p]
                                                    : rt->committed_off[p];
                } else {
                        release(rt, p);
                }
                assigned_set(rt, p, 0);
        }
        if (cooperative) {
                rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
                if (e)
                        rd_kafka_error_destroy(e);
        } else {
                rd_kafka_assign(rk, NULL);
        }
        if (!rt->o->quiet)
                xs_log_kv(XS_LOG_INFO, "rebalance",
                          XS_KV(XS_KV_INT("partitions", parts->cnt), XS_KV_INT("lost", lost)),
                          "revoked %d partition(s)%s%s", parts->cnt, lost ? " (lost)" : "",
                          park && parts->cnt ? ", parked until the next assignment" : "");
}
