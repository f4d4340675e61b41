/*
 * The internal panes topic (issue 11): `<application.id>-cooccurrence-panes`. Every instance
 * publishes the panes its input partitions seal (a delta each, engine/pane_wire.c) and, at each
 * commit, a seal marker per partition it owns (its sealed point, and whether it idles); every
 * instance reads the whole topic and applies the other instances' deltas and markers. A pane is
 * visible once every input partition has sealed it, wherever that partition is processed, so
 * each instance learns from all of them and scores an event on the same panes as any other
 * would (and as `xsell replay` does).
 *
 * Records: key the input partition (decimal), so that a partition's records stay in order in
 * one partition of the panes topic; value 'D' + a pane delta, or 'M' + the point marked (i64 LE)
 * + idle (1 byte) + the partition's event time (i64 LE) + the point sealed (i64 LE). A delta goes
 * out when its pane is sealed (under exactly-once in the open transaction), the markers after
 * the deltas they cover: under at-least-once once the customers changelog holds the point they
 * mark durably (marks.c), at the commit under exactly-once (where nothing is visible
 * before it). A delta seen twice (the records of an uncommitted tail published again after a
 * crash, or one's own) is a repeat the engine ignores (xs_engine_pane_add).
 *
 * The input topic's partitions all take part in the step from the start (they hold it back until
 * their owner's marker says how far they are sealed); a partition this instance owns is driven
 * by its own records instead of markers.
 *
 * Bounds: the consumer reads at most 256 records per loop iteration; a delta is the pane's
 * entries (window.max_held_bytes does not cover what other instances send: it is what the
 * window holds anyway once folded).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/frontier.h"
#include "engine/stepper.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/panes.h"
#include "kafka/produce.h"
#include "util/le.h"
#include "util/log.h"
#include "xsell/engine.h"

/* a seal marker: 'M', the point named (i64), idle (1 byte), the event time (i64), the point
 * sealed (i64); the first version had no point sealed (the point named was it) */
#define MARK_LEN    26
#define MARK_LEN_V1 18

int xs_rt_panes_start(struct xs_rt *rt)
{
        char err[512];
        if (!rt->stepper || !rt->p->state_share_panes)
                return 0;
        snprintf(rt->panes_topic, sizeof(rt->panes_topic), "%s-cooccurrence-panes",
                 rt->p->application_id);
        int n_in = xs_kafka_partition_count(rt->producer, rt->p->topic_events, 30000);
        if (n_in <= 0 || n_in > 1024) {
                xs_log(XS_LOG_ERROR, "panes", "events topic %s: %s", rt->p->topic_events,
                       n_in > 1024 ? "more than 1024 partitions" : "no metadata within 30 s");
                return -1;
        }
        /* every input partition holds the step back until it is sealed, here or by its owner */
        for (int i = 0; i < n_in; i++) {
                if (xs_stepper_add(rt->stepper, (uint32_t)i) != 0)
                        return -1;
                /* remote until assigned here */
                xs_frontier_set_remote(xs_stepper_frontier(rt->stepper), (uint32_t)i, 1);
                rt->remote_time[i] = INT64_MIN;
        }
        rt->n_in_parts = n_in;
        /* the topic: the producer's metadata request creates it where the cluster creates
         * topics (the embedded broker does), else it must exist (README "Internal topics") */
        int n = xs_kafka_partition_count(rt->producer, rt->panes_topic, 10000);
        if (n <= 0) {
                xs_log_kv(XS_LOG_ERROR, "panes", XS_KV(XS_KV_STR("topic", rt->panes_topic)),
                          "internal topic %s does not exist and could not be created: create it "
                          "(as many partitions as %s, retention at least window.size), or set "
                          "state.share_panes=false",
                          rt->panes_topic, rt->p->topic_events);
                return -1;
        }
        char id[300];
        snprintf(id, sizeof(id), "%s-panes", rt->p->application_id);
        rd_kafka_conf_t *kc = xs_kafka_conf(
            rt->conf, rt->o->bootstrap,
            (const char *const[]){"group.id", id, "client.id", id, "enable.auto.commit", "false",
                                  "isolation.level", "read_committed", "fetch.wait.max.ms",
                                  rt->o->bootstrap ? "10" : "100", NULL},
            err, sizeof(err));
        if (kc)
                xs_obs_kafka_conf(rt, kc);
        if (!kc || !(rt->panecons = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)))) {
                if (kc)
                        rd_kafka_conf_destroy(kc);
                xs_log(XS_LOG_ERROR, "panes", "panes consumer: %s", err);
                return -1;
        }
        rd_kafka_poll_set_consumer(rt->panecons);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
        for (int i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(l, rt->panes_topic, i)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rt->panecons, l);
        rd_kafka_topic_partition_list_destroy(l);
        for (int i = 0; i < 1024; i++) {
                rt->marked[i] = INT64_MIN;
                rt->pane_gate[i] = rt->pane_recv[i] = INT64_MIN;
        }
        return 0;
}

void xs_rt_panes_stop(struct xs_rt *rt)
{
        if (!rt->panecons)
                return;
        rd_kafka_consumer_close(rt->panecons);
        rd_kafka_destroy(rt->panecons);
        rt->panecons = NULL;
}

/* A partition is ours while assigned here: its own records drive it, not the topic (except
 * while it is gated: its previous owner's panes are still on their way). */
static int ours(const struct xs_rt *rt, uint32_t part)
{
        return part < 1024 && rt->assigned_p[part] && rt->pane_gate[part] == INT64_MIN;
}

/* Lifts part's gate once its previous owner's markers reached the gate, else keeps its ceiling
 * at what they reached. */
static void gate_check(struct xs_rt *rt, uint32_t part)
{
        if (rt->pane_gate[part] == INT64_MIN)
                return;
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        if (rt->pane_recv[part] >= rt->pane_gate[part]) {
                rt->pane_gate[part] = INT64_MIN;
                xs_frontier_set_ceiling(fr, part, INT64_MAX);
        } else {
                xs_frontier_set_ceiling(fr, part, rt->pane_recv[part]);
        }
}

void xs_rt_panes_gate(struct xs_rt *rt, int32_t part, int64_t sealed)
{
        if (!rt->panecons || part < 0 || part >= 1024 || sealed == INT64_MIN)
                return;
        rt->pane_gate[part] = sealed;
        rt->gate_since[part] = xs_rt_now();
        if (rt->pane_recv[part] < sealed)
                rt->st.panes_gated++;
        gate_check(rt, (uint32_t)part);
}

/* A gate not met within window.idle_seal (the previous owner's last marker never came: a
 * produce it could not finish): lifted with a warning; the panes sealed meanwhile may be
 * missing here, as they are on every instance. */
static void gates_expire(struct xs_rt *rt)
{
        double now = xs_rt_now(), idle = (double)rt->p->window_idle_seal / 1000.0;
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                if (rt->pane_gate[i] == INT64_MIN || now - rt->gate_since[i] < idle)
                        continue;
                xs_log_kv(XS_LOG_WARN, "panes",
                          XS_KV(XS_KV_STR("topic", rt->panes_topic), XS_KV_INT("partition", i)),
                          "partition %d: its previous owner's seal markers did not reach the point "
                          "its stage was written at within window.idle_seal; going on without "
                          "them",
                          (int)i);
                rt->st.panes_gate_expired++;
                rt->pane_recv[i] = rt->pane_gate[i];
                gate_check(rt, (uint32_t)i);
        }
}

static void apply(struct xs_rt *rt, const rd_kafka_message_t *m)
{
        if (!m->key || m->key_len == 0 || m->key_len > 10 || m->len < 1)
                return;
        char k[12];
        memcpy(k, m->key, m->key_len);
        k[m->key_len] = '\0';
        char *end;
        unsigned long part = strtoul(k, &end, 10);
        const unsigned char *v = m->payload;
        if (*end || part >= (unsigned long)rt->n_in_parts)
                return;
        /* how far the markers on the topic have sealed each partition, whoever wrote them (a
         * gate met later may be one this instance read while it owned the partition) */
        int mark = v[0] == 'M' && (m->len == MARK_LEN || m->len == MARK_LEN_V1);
        if (mark) {
                /* the point sealed (and published), which the marker's own may be capped below */
                int64_t done = (int64_t)xs_le_get(v + (m->len == MARK_LEN ? 18 : 1), 8);
                if (done > rt->pane_recv[part])
                        rt->pane_recv[part] = done;
        }
        if (ours(rt, (uint32_t)part))
                return;
        if (v[0] == 'D') {
                struct xs_pane_delta d;
                if (xs_pane_delta_decode(v + 1, m->len - 1, &d) != 0) {
                        rt->st.panes_bad++;
                        return;
                }
                if (xs_engine_pane_add(rt->eng, (uint32_t)part, &d) < 0)
                        xs_rt_set_fatal(rt, "%s", "out of memory adding a pane");
                free((void *)d.entries);
                rt->st.panes_received++;
        } else if (mark) {
                struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
                rt->st.panes_markers_received++;
                if (part < 1024 && rt->assigned_p[part]) { /* gated: the ceiling moves */
                        gate_check(rt, (uint32_t)part);
                        return;
                }
                xs_frontier_set_remote(fr, (uint32_t)part, 1);
                xs_frontier_set_sealed(fr, (uint32_t)part, (int64_t)xs_le_get(v + 1, 8));
                xs_frontier_set_idle(fr, (uint32_t)part, v[9] != 0);
                int64_t t = (int64_t)xs_le_get(v + 10, 8);
                if (t > rt->remote_time[part])
                        rt->remote_time[part] = t;
        } else if (v[0] != 'H') {
                rt->st.panes_bad++;
        }
}

int xs_rt_panes_poll(struct xs_rt *rt)
{
        if (!rt->panecons)
                return 0;
        gates_expire(rt);
        int any = 0;
        for (int i = 0; i < 256; i++) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rt->panecons, 0);
                if (!m)
                        break;
                if (!m->err) {
                        apply(rt, m);
                        any = 1;
                } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        xs_kafka_log_consumer_error(rt->panecons, m, "panes");
                }
                rd_kafka_message_destroy(m);
        }
        return any;
}

void xs_rt_panes_sealed(struct xs_rt *rt, uint32_t part, const struct xs_pane_delta *d)
{
        if (!rt->panecons || rt->restoring)
                return;
        size_t len = 0;
        unsigned char *buf = xs_pane_delta_encode(d, &len);
        unsigned char *rec = buf ? malloc(len + 1) : NULL;
        if (!rec) {
                free(buf);
                xs_rt_set_fatal(rt, "%s", "out of memory publishing a pane");
                return;
        }
        rec[0] = 'D';
        memcpy(rec + 1, buf, len);
        free(buf);
        char key[12];
        snprintf(key, sizeof(key), "%" PRIu32, part);
        if (xs_rt_produce(rt, rt->panes_topic, key, strlen(key), rec, len + 1, d->pane_end, NULL,
                          NULL) == 0)
                rt->st.panes_published++;
        free(rec);
}

/* The point a marker names for a partition that has sealed and performed up to done while this
 * instance stood at step: done, but never more than one pane past step. Every held event of the
 * partition needs a step at or past its sealed point, so no instance steps past an event of it
 * that is still to be processed; and the bound keeps the others' steps within one pane of ours,
 * so that when the partition moves to another instance, its customers' timers not fired here
 * yet are due no earlier than that instance's step: they fire there on the panes they fire on
 * in replay (the first step past their time), before their customer's next event (engine.c). */
static int64_t mark_value(const struct xs_rt *rt, int64_t done, int64_t step)
{
        if (done == INT64_MIN || step == INT64_MIN || step > INT64_MAX - rt->p->window_pane)
                return done;
        return done < step + rt->p->window_pane ? done : step + rt->p->window_pane;
}

/* Whether a partition we own has moved its marked point or idleness since its last marker (its
 * time alone moves with every record). */
int xs_rt_panes_due(struct xs_rt *rt)
{
        if (!rt->panecons || !rt->stepper)
                return 0;
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                int64_t v =
                    mark_value(rt, xs_frontier_done(fr, (uint32_t)i), xs_stepper_step(rt->stepper));
                if (v != INT64_MIN && (v != rt->marked[i] ||
                                       xs_frontier_is_idle(fr, (uint32_t)i) != rt->marked_idle[i]))
                        return 1;
        }
        return 0;
}

void xs_rt_panes_capture(struct xs_rt *rt)
{
        if (!rt->panecons || !rt->stepper)
                return;
        struct xs_frontier *fr = xs_stepper_frontier(rt->stepper);
        rt->mk_step = xs_stepper_step(rt->stepper);
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                rt->mk_done[i] = xs_frontier_done(fr, (uint32_t)i);
                rt->mk_t[i] = xs_frontier_time(fr, (uint32_t)i);
                rt->mk_idle[i] = (unsigned char)xs_frontier_is_idle(fr, (uint32_t)i);
                rt->mk_off[i] = rt->done_off[i];
        }
}

void xs_rt_panes_publish(struct xs_rt *rt)
{
        rt->mk_phase = 0;
        if (!rt->panecons || !rt->stepper)
                return;
        for (int k = 0; k < rt->n_parts; k++) {
                int32_t i = rt->parts[k];
                int64_t v = mark_value(rt, rt->mk_done[i], rt->mk_step), t = rt->mk_t[i];
                int idle = rt->mk_idle[i];
                if (v == INT64_MIN ||
                    (v == rt->marked[i] && idle == rt->marked_idle[i] && t == rt->marked_t[i]))
                        continue;
                unsigned char m[MARK_LEN];
                m[0] = 'M';
                xs_le_put(m + 1, (uint64_t)v, 8);
                m[9] = (unsigned char)idle;
                xs_le_put(m + 10, (uint64_t)t, 8);
                xs_le_put(m + 18, (uint64_t)rt->mk_done[i], 8);
                char key[12];
                snprintf(key, sizeof(key), "%" PRId32, i);
                if (xs_rt_produce(rt, rt->panes_topic, key, strlen(key), m, sizeof(m), 0, NULL,
                                  NULL) == 0) {
                        rt->marked[i] = v;
                        rt->marked_t[i] = t;
                        rt->marked_idle[i] = (unsigned char)idle;
                        rt->st.panes_markers_published++;
                }
        }
}
