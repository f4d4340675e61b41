/*
 * window.visibility=sealed in the Kafka runtime (issue 11): each input record is decoded and
 * checked when it arrives, then held by the stepper (engine/stepper.h) until every partition
 * has sealed the panes it is to be scored on, and processed then. The offers therefore depend
 * on the records alone, not on how the consumer interleaves partitions: `xsell replay
 * --partitions N` gives the same ones.
 *
 * What holding asks of the consumer:
 *  - offsets: a record's offset is committed only once it was processed, in each partition's
 *    order (done_off; commit.c commits that list, not the consumer's position). Records that
 *    need no processing (poison, late) wait their turn behind the held ones of their partition,
 *    so a dead letter and its offset still go in one transaction.
 *  - bytes: what is held is bounded by window.max_held_bytes; beyond it the partitions that
 *    hold input are paused, except the one holding the step back, and resumed below half.
 *  - idleness: a partition read to its end for window.idle_seal stops holding the step back.
 *  - rebalances: a revoked partition's held records are dropped (their offsets were not
 *    committed: the next owner reads them again) and what it staged is folded here.
 *
 * Bounds: window.max_held_bytes of held records (each counted as its decoded copy, its
 * passthrough headers and, for a poison record held behind others, its payload).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/stepper.h"
#include "kafka/hold.h"
#include "kafka/kafka_int.h"
#include "kafka/marks.h"
#include "kafka/obs.h"
#include "kafka/panes.h"
#include "kafka/produce.h"
#include "util/log.h"
#include "xsell/engine.h"
#include "xsell/event.h"

enum held_kind { HELD_EVENT, HELD_LATE, HELD_BAD };

struct held {
        struct xs_event *ev;      /* HELD_EVENT: a copy */
        rd_kafka_headers_t *hdrs; /* HELD_EVENT: its passthrough headers, or NULL */
        rd_kafka_message_t *m;    /* HELD_BAD: the record, for its dead letter */
        char *why;                /* HELD_BAD */
        const char *stage;        /* HELD_BAD: a literal */
        xs_err_t err;             /* HELD_BAD */
        int64_t offset;
        unsigned char kind;
        unsigned char replayed; /* restored on start: processed again, outputs discarded */
};

static void held_free(void *item)
{
        struct held *h = item;
        if (!h)
                return;
        xs_event_free(h->ev);
        if (h->hdrs)
                rd_kafka_headers_destroy(h->hdrs);
        if (h->m)
                rd_kafka_message_destroy(h->m);
        free(h->why);
        free(h);
}

/* Clears what this instance knows of partition part's position. */
static void forget(struct xs_rt *rt, int32_t part)
{
        rt->done_off[part] = rt->committed_off[part] = rt->fetch_off[part] = rt->eof_off[part] = -1;
        rt->done_time[part] = INT64_MIN;
        rt->pane_gate[part] = INT64_MIN; /* a gate goes with the partition (panes.c) */
}

static void done(struct xs_rt *rt, int32_t part, int64_t offset)
{
        if (part >= 0 && part < 1024 && offset + 1 > rt->done_off[part])
                rt->done_off[part] = offset + 1;
}

static void process(void *opaque, uint32_t part, void *item)
{
        struct xs_rt *rt = opaque;
        struct held *h = item;
        int was = rt->restoring;
        char err[512];
        rt->restoring = was || h->replayed;
        if (h->kind == HELD_EVENT) {
                /* the partition's time as of its processed records (changelog.c) */
                if (part < 1024 && h->ev->event_time > rt->done_time[part])
                        rt->done_time[part] = h->ev->event_time;
                xs_engine_set_tag(rt->eng, part);
                rt->cur_event_id = h->ev->event_id;
                rt->cur_event_time = h->ev->event_time;
                rt->cur_hdrs = h->hdrs;
                xs_err_t e = xs_engine_process(rt->eng, h->ev, err, sizeof(err));
                rt->cur_hdrs = NULL;
                rt->cur_event_id = NULL;
                if (e == XS_ERR_NOMEM)
                        xs_rt_set_fatal(rt, "engine: %s", err);
                else if (e != XS_OK) /* checked on arrival: not expected */
                        xs_log_kv(
                            XS_LOG_WARN, "run",
                            XS_KV(XS_KV_INT("partition", part), XS_KV_INT("offset", h->offset)),
                            "event at offset %lld of partition %u refused when processed: "
                            "%s",
                            (long long)h->offset, part, err);
        } else if (h->kind == HELD_LATE) {
                xs_engine_count_late(rt->eng);
        } else {
                xs_rt_dead_letter(rt, h->m, h->stage, h->err, h->why);
        }
        if (!h->replayed)
                done(rt, (int32_t)part, h->offset);
        rt->restoring = was;
        held_free(h);
}

static void sealed(void *opaque, uint32_t part, const struct xs_pane_delta *d)
{
        xs_rt_panes_sealed(opaque, part, d);
}

int xs_rt_hold_init(struct xs_rt *rt)
{
        for (int i = 0; i < 1024; i++)
                forget(rt, i);
        rt->max_time = INT64_MIN;
        if (strcmp(rt->p->window_visibility, "sealed") != 0)
                return 0;
        struct xs_stepper_ops ops = {.process = process, .sealed = sealed, .free_item = held_free};
        rt->stepper = xs_stepper_new(rt->eng, &ops, rt);
        return rt->stepper ? 0 : -1;
}

void xs_rt_hold_destroy(struct xs_rt *rt)
{
        xs_stepper_destroy(rt->stepper);
        rt->stepper = NULL;
}

/* Counts what was just held. */
static void held_count(struct xs_rt *rt)
{
        rt->st.events_held++;
        size_t held = xs_frontier_held_bytes(xs_stepper_frontier(rt->stepper));
        if (held > rt->st.held_bytes_max)
                rt->st.held_bytes_max = held;
}

/* Hands h to the stepper at time t (never late there); out of memory is fatal (h freed). */
static void push(struct xs_rt *rt, int32_t part, int64_t t, struct held *h, size_t bytes)
{
        if (xs_stepper_push(rt->stepper, (uint32_t)part, t, h, bytes) != 0) {
                held_free(h);
                xs_rt_set_fatal(rt, "%s", "out of memory holding input");
                return;
        }
        held_count(rt);
}

/* Something that needs no processing (poison, late): at once when nothing of its partition is
 * held, else in its turn. Returns 1 when m was taken. */
static int in_turn(struct xs_rt *rt, rd_kafka_message_t *m, enum held_kind kind, const char *stage,
                   xs_err_t e, const char *why)
{
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        if (!xs_frontier_held_part(fr, (uint32_t)m->partition)) {
                if (kind == HELD_BAD)
                        xs_rt_dead_letter(rt, m, stage, e, why);
                else
                        xs_engine_count_late(rt->eng);
                done(rt, m->partition, m->offset);
                return 0;
        }
        struct held *h = calloc(1, sizeof(*h));
        if (!h || (kind == HELD_BAD && !(h->why = strdup(why)))) {
                free(h);
                xs_rt_set_fatal(rt, "%s", "out of memory holding input");
                return 0;
        }
        h->kind = (unsigned char)kind;
        h->offset = m->offset;
        size_t bytes = sizeof(*h);
        if (kind == HELD_BAD) {
                h->m = m;
                h->stage = stage;
                h->err = e;
                bytes += m->len + m->key_len + strlen(why);
        }
        push(rt, m->partition, xs_frontier_time(fr, (uint32_t)m->partition), h, bytes);
        return kind == HELD_BAD;
}

rd_kafka_headers_t *xs_rt_passthrough(struct xs_rt *rt, const rd_kafka_message_t *m, size_t *bytes)
{
        rd_kafka_headers_t *in = NULL, *out = NULL;
        if (!rt->n_hdr_names || rd_kafka_message_headers(m, &in) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            !in)
                return NULL;
        for (int k = 0; k < rt->n_hdr_names; k++) {
                const void *val;
                size_t size;
                for (size_t idx = 0; rd_kafka_header_get(in, idx, rt->hdr_names[k], &val, &size) ==
                                     RD_KAFKA_RESP_ERR_NO_ERROR;
                     idx++) {
                        if (!out)
                                out = rd_kafka_headers_new(4);
                        rd_kafka_header_add(out, rt->hdr_names[k], -1, val,
                                            val ? (ssize_t)size : 0);
                        if (bytes)
                                *bytes += strlen(rt->hdr_names[k]) + (val ? size : 0) + 32;
                }
        }
        return out;
}

int xs_rt_hold_record(struct xs_rt *rt, rd_kafka_message_t *m, xs_err_t e,
                      const struct xs_event *ev, const char *stage, const char *why)
{
        char err[512];
        if (e == XS_OK && (e = xs_engine_check(rt->eng, ev, err, sizeof(err))) != XS_OK) {
                stage = "contract";
                why = err;
        }
        if (e != XS_OK)
                return in_turn(rt, m, HELD_BAD, stage, e, why);
        if (ev->event_time > rt->max_time)
                rt->max_time = ev->event_time;
        struct held *h = calloc(1, sizeof(*h));
        if (!h || !(h->ev = xs_event_copy(ev))) {
                free(h);
                xs_rt_set_fatal(rt, "%s", "out of memory holding input");
                return 0;
        }
        size_t bytes = sizeof(*h) + xs_event_size(ev);
        h->hdrs = xs_rt_passthrough(rt, m, &bytes);
        h->offset = m->offset;
        int rc = xs_stepper_push(rt->stepper, (uint32_t)m->partition, ev->event_time, h, bytes);
        if (rc != 0)
                held_free(h);
        if (rc < 0)
                xs_rt_set_fatal(rt, "%s", "out of memory holding input");
        else if (rc == 1) /* late in its partition */
                return in_turn(rt, m, HELD_LATE, NULL, XS_OK, NULL);
        else
                held_count(rt);
        return 0;
}

int xs_rt_hold_restored(struct xs_rt *rt, int32_t part, int64_t offset, struct xs_event *ev)
{
        char err[512];
        if (xs_engine_check(rt->eng, ev, err, sizeof(err)) != XS_OK) {
                xs_event_free(ev);
                return 0;
        }
        if (ev->event_time > rt->max_time)
                rt->max_time = ev->event_time;
        struct held *h = calloc(1, sizeof(*h));
        if (!h) {
                xs_event_free(ev);
                return -1;
        }
        h->ev = ev;
        h->offset = offset;
        h->replayed = 1;
        int rc = xs_stepper_push(rt->stepper, (uint32_t)part, ev->event_time, h,
                                 sizeof(*h) + xs_event_size(ev));
        if (rc != 0)
                held_free(h);
        if (rc == 1)
                xs_engine_count_late(rt->eng);
        return rc < 0 ? -1 : 0;
}

void xs_rt_hold_run(struct xs_rt *rt)
{
        if (rt->finishing)
                return; /* xs_rt_hold_finish steps, with the other instances */
        xs_stepper_run(rt->stepper);
        if (!rt->eos)
                xs_rt_panes_mark(rt, 1); /* other instances wait for our seals */
        int64_t step = xs_stepper_step(rt->stepper);
        if (step != INT64_MIN && step + rt->p->allowed_lateness > rt->stream_time)
                rt->stream_time = step + rt->p->allowed_lateness;
}

static void pause_part(struct xs_rt *rt, int32_t part, int on)
{
        if (rt->paused[part] == on)
                return;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, rt->p->topic_events, part);
        rd_kafka_resp_err_t e = on ? rd_kafka_pause_partitions(rt->consumer, l)
                                   : rd_kafka_resume_partitions(rt->consumer, l);
        rd_kafka_topic_partition_list_destroy(l);
        if (e)
                return;
        rt->paused[part] = (unsigned char)on;
        if (on)
                rt->st.partitions_paused++;
}

/* Whether partition part's log holds records past where it was last read to its end, by a
 * round trip to its leader (1 s at most), or its end cannot be known: then it is not idle, only
 * slower to deliver than the others (a fetch behind, a broker briefly unreachable), and sealing
 * it by wall clock would let the step pass records the log already holds. */
int xs_rt_unread_records(struct xs_rt *rt, int32_t part)
{
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rt->consumer, rt->p->topic_events, part, &lo, &hi,
                                             1000) != RD_KAFKA_RESP_ERR_NO_ERROR)
                return 1;
        return hi > rt->eof_off[part] && hi > rt->fetch_off[part];
}

void xs_rt_hold_tick(struct xs_rt *rt)
{
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        double now = xs_rt_now(), idle = (double)rt->p->window_idle_seal / 1000.0;
        int changed = 0;
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                /* idle only with nothing held: the step would pass a partition's held records,
                 * whose panes would then be folded without them (after a restart reads a
                 * backlog to its end, 6 of 7,045 offers were made on a window short of them) */
                if (!rt->at_eof[i] || rt->paused[i] || xs_frontier_held_part(fr, (uint32_t)i)) {
                        rt->eof_since[i] = 0;
                        continue;
                }
                if (rt->eof_since[i] == 0)
                        rt->eof_since[i] = now;
                if (now - rt->eof_since[i] >= idle && !xs_frontier_is_idle(fr, (uint32_t)i)) {
                        if (xs_rt_unread_records(rt, i)) {
                                rt->eof_since[i] = now; /* asked again after window.idle_seal */
                                rt->st.idle_seal_deferred++;
                                continue;
                        }
                        xs_stepper_idle(rt->stepper, (uint32_t)i, 1);
                        rt->st.partitions_idle_sealed++;
                        changed = 1;
                }
        }
        if (changed)
                xs_rt_hold_run(rt);
        else if (!rt->eos) /* a marker still due (its produce failed): every instance waits */
                xs_rt_panes_mark(rt, 1);
        /* window.max_held_bytes: pause the partitions ahead; never the one behind */
        size_t held = xs_frontier_held_bytes(fr);
        int64_t lag = xs_frontier_laggard(fr);
        if (lag >= 0 && lag < 1024 && rt->paused[lag])
                pause_part(rt, (int32_t)lag, 0);
        if (held > (size_t)rt->p->window_max_held_bytes) {
                for (int k = 0; k < rt->n_parts; k++) {
                        int32_t i = rt->parts[k];
                        if (i != lag && xs_frontier_held_part(fr, (uint32_t)i))
                                pause_part(rt, i, 1);
                }
        } else if (held <= (size_t)rt->p->window_max_held_bytes / 2) {
                for (int k = 0; k < rt->n_parts; k++)
                        pause_part(rt, rt->parts[k], 0);
        }
}

void xs_rt_hold_wake(struct xs_rt *rt, int32_t part)
{
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        double now = xs_rt_now();
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                if (i == part || !xs_frontier_is_idle(fr, (uint32_t)i) ||
                    xs_frontier_is_remote(fr, (uint32_t)i))
                        continue;
                xs_stepper_idle(rt->stepper, (uint32_t)i, 0);
                rt->eof_since[i] = now; /* sealed idle again after window.idle_seal */
                rt->st.partitions_woken++;
        }
}

void xs_rt_hold_finish(struct xs_rt *rt, int64_t drain_ms)
{
        xs_stepper_finish(rt->stepper,
                          rt->max_time != INT64_MIN ? rt->max_time + drain_ms : INT64_MIN);
        int64_t step = xs_stepper_step(rt->stepper);
        if (step != INT64_MIN && step + rt->p->allowed_lateness > rt->stream_time)
                rt->stream_time = step + rt->p->allowed_lateness;
}

void xs_rt_hold_assign(struct xs_rt *rt, int32_t part)
{
        if (part < 0 || part >= 1024)
                return;
        forget(rt, part);
        rt->paused[part] = 0;
        rt->eof_since[part] = 0;
        if (rt->stepper && xs_stepper_add(rt->stepper, (uint32_t)part) != 0)
                xs_rt_set_fatal(rt, "%s", "out of memory");
        if (rt->stepper) /* ours now: its records drive it, not markers */
                xs_frontier_set_remote(xs_stepper_frontier(rt->stepper), (uint32_t)part, 0);
}

void xs_rt_hold_park(struct xs_rt *rt, int32_t part)
{
        if (part < 0 || part >= 1024)
                return;
        /* librdkafka keeps a partition's pause across a revocation and a later assignment of
         * it: resumed here, or it would stay paused for good when it comes back */
        pause_part(rt, part, 0);
        rt->paused[part] = 0;
        rt->eof_since[part] = 0;
}

void xs_rt_hold_revoke(struct xs_rt *rt, int32_t part)
{
        if (part < 0 || part >= 1024)
                return;
        forget(rt, part);
        xs_rt_hold_park(rt, part); /* resumed if paused */
        if (rt->stepper) {
                /* shared panes: its stage goes to the next owner through the changelog (the
                 * commit before the revocation wrote it; changelog.c); with no changelog it is
                 * published as it is, and the next owner's seals of those panes are repeats */
                enum xs_stepper_leave how = !rt->panecons    ? XS_LEAVE_FOLD
                                            : rt->n_cl_parts ? XS_LEAVE_HANDOVER
                                                             : XS_LEAVE_PUBLISH;
                rt->st.held_dropped += xs_stepper_remove(rt->stepper, (uint32_t)part, how);
                if (rt->panecons) /* its next owner's markers drive it from now on */
                        xs_frontier_set_remote(xs_stepper_frontier(rt->stepper), (uint32_t)part, 1);
                /* nothing is processed here: the offsets of what a revocation released could
                 * not be committed with it (the loop processes it after the rebalance) */
        }
}

rd_kafka_topic_partition_list_t *xs_rt_done_offsets(struct xs_rt *rt, int only_new)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rt->n_parts);
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                if (rt->done_off[i] >= 0 && (!only_new || rt->done_off[i] > rt->committed_off[i]))
                        rd_kafka_topic_partition_list_add(l, rt->p->topic_events, i)->offset =
                            rt->done_off[i];
        }
        return l;
}

void xs_rt_done_committed(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *l)
{
        for (int k = 0; k < l->cnt; k++) {
                int32_t i = l->elems[k].partition;
                if (i >= 0 && i < 1024 && l->elems[k].offset > rt->committed_off[i])
                        rt->committed_off[i] = l->elems[k].offset;
        }
}
