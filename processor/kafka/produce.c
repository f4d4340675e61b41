/*
 * Producing for the Kafka runtime: every record the processor writes (offers, signals,
 * outcomes, dead letters) is produced here, and the producer's delivery reports come back here.
 *
 * - The engine sink encodes each output with its schema id and produces it keyed by customer,
 *   with the event time of its trigger as the record's timestamp (an offer's created_at, which
 *   is a timer's due time when a timer fired it; a signal's event_time; an outcome's
 *   converted_at), and with the headers.passthrough headers of the input record that
 *   triggered it (run.c keeps them while the engine processes that record; outputs fired by a
 *   timer or by another event have none).
 *   An offer's printed line rides with the record and is printed only once the broker has
 *   acknowledged it; a failed delivery stops the runtime under at-least-once (its offset must
 *   not be committed) and is left to the transaction under exactly-once.
 * - A poison input record goes to the dead-letter topic with its key, value, timestamp and
 *   headers, plus __xsell.errors.* headers (topic, partition, offset, stage, error).
 * - Exactly-once: a transaction is opened on first use, and every record of the open
 *   transaction is also copied here (as many as one commit.interval produces; txn_bytes counts
 *   them), so that commit.c can produce them again, unchanged, when the broker aborts it.
 * - While restoring (rebalance.c) nothing is produced: those outputs were produced before.
 * A full local queue is waited out (poll 50 ms, try again); any other produce error is fatal.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/produce.h"

/* ---- producing ---------------------------------------------------------------------- */

void xs_rt_txn_clear(struct xs_rt *rt)
{
        for (size_t i = 0; i < rt->n_txn; i++) {
                free(rt->txn[i].topic);
                free(rt->txn[i].key);
                free(rt->txn[i].value);
                if (rt->txn[i].hdrs)
                        rd_kafka_headers_destroy(rt->txn[i].hdrs);
        }
        rt->n_txn = 0;
        rt->txn_bytes = 0;
}

/* Produces one record; retries while the local queue is full. hdrs is copied. */
int xs_rt_produce_raw(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                      const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                      void *opaque)
{
        for (;;) {
                rd_kafka_headers_t *h = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
                rd_kafka_resp_err_t err = rd_kafka_producev(
                    rt->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, klen),
                    RD_KAFKA_V_VALUE((void *)value, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0), RD_KAFKA_V_HEADERS(h),
                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
                if (!err) {
                        rt->st.produced++;
                        return 0;
                }
                if (h)
                        rd_kafka_headers_destroy(h);
                if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        rd_kafka_poll(rt->producer, 50);
                        continue;
                }
                xs_rt_set_fatal(rt, "produce failed: %s", rd_kafka_err2str(err));
                free(opaque);
                return -1;
        }
}

int xs_rt_txn_begin(struct xs_rt *rt)
{
        if (!rt->eos || rt->txn_open)
                return 0;
        rd_kafka_error_t *error = rd_kafka_begin_transaction(rt->producer);
        if (error) {
                xs_rt_set_fatal(rt, "begin_transaction: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return -1;
        }
        rt->txn_open = 1;
        return 0;
}

/* ts: the record's timestamp (ms since the epoch; 0: now). */
static int produce(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                   const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                   void *opaque)
{
        if (rt->restoring) {
                free(opaque);
                return 0;
        }
        if (xs_rt_txn_begin(rt) != 0) {
                free(opaque);
                return -1;
        }
        if (rt->eos) {
                /* keep a copy: an aborted transaction is produced again, unchanged */
                if (rt->n_txn == rt->cap_txn) {
                        size_t cap = rt->cap_txn ? rt->cap_txn * 2 : 256;
                        struct txn_rec *t = realloc(rt->txn, cap * sizeof(*t));
                        if (!t) {
                                xs_rt_set_fatal(rt, "%s", "out of memory");
                                free(opaque);
                                return -1;
                        }
                        rt->txn = t;
                        rt->cap_txn = cap;
                }
                struct txn_rec *t = &rt->txn[rt->n_txn++];
                t->topic = strdup(topic);
                t->key = klen ? malloc(klen) : NULL;
                t->value = vlen ? malloc(vlen) : NULL;
                if (klen && t->key)
                        memcpy(t->key, key, klen);
                if (vlen && t->value)
                        memcpy(t->value, value, vlen);
                t->klen = klen;
                t->vlen = vlen;
                t->ts = ts;
                t->hdrs = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
                rt->txn_bytes += klen + vlen;
        }
        return xs_rt_produce_raw(rt, topic, key, klen, value, vlen, ts, hdrs, opaque);
}

/* delivery reports: printing acknowledged offers, counting failures */
void xs_rt_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct xs_rt *rt = opaque;
        (void)rk;
        char *line = m->_private;
        if (m->err) {
                rt->st.delivery_failed++;
                /* with idempotence, a failed delivery is permanent: the at-least-once commit
                 * must not pass it. Under exactly-once the transaction cannot commit either
                 * (commit_transaction returns an abortable error), and the records of an
                 * aborted transaction fail here as purged: txn_commit aborts and produces them
                 * again, so neither is fatal. */
                if (!rt->eos)
                        xs_rt_set_fatal(rt, "delivery failed: %s", rd_kafka_err2str(m->err));
        } else {
                rt->st.delivered++;
                xs_obs_delivered(rt, m);
                if (line && rt->o->print)
                        fputs(line, rt->o->print);
        }
        free(line);
}

/* ---- engine sink -------------------------------------------------------------------- */

/* A JSON string of s; bytes that are not UTF-8 (nothing checks ids on the wire) become '?',
 * so that the line stays one valid JSON object. Returns a new reference, NULL if out of
 * memory. */
static json_t *json_text(const char *s)
{
        json_t *j = json_string(s ? s : "");
        if (j || !s)
                return j;
        char *copy = strdup(s);
        if (!copy)
                return NULL;
        for (char *c = copy; *c; c++)
                if ((unsigned char)*c >= 0x80)
                        *c = '?';
        j = json_string(copy);
        free(copy);
        return j;
}

/* The offer as one line of --print (JSON: built with jansson, every string escaped). Returns
 * a string the caller frees, or NULL (out of memory). */
static char *offer_line(const struct xs_offer *o, int json)
{
        char buf[2048];
        int n;
        if (json) {
                json_t *products = json_array();
                for (size_t i = 0; products && i < o->n_items; i++)
                        json_array_append_new(products, json_text(o->items[i].product_id));
                json_t *obj =
                    json_pack("{s:o, s:o, s:s, s:s, s:o, s:o}", "offer_id", json_text(o->offer_id),
                              "customer_id", json_text(o->customer_id), "type",
                              xs_offer_type_name(o->type), "stage", xs_stage_name(o->stage), "rule",
                              json_text(o->rule), "products", products);
                char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
                json_decref(obj);
                char *line = text ? malloc(strlen(text) + 2) : NULL;
                if (line)
                        strcat(strcpy(line, text), "\n");
                free(text);
                return line;
        }
        n = snprintf(buf, sizeof(buf), "%-10s %-14s %-8s to %s (%s): anchor %s ->",
                     xs_offer_type_name(o->type), xs_stage_name(o->stage),
                     xs_channel_name(o->channel), o->customer_id, o->rule,
                     o->anchor_product_id ? o->anchor_product_id : "-");
        for (size_t i = 0; i < o->n_items && n > 0 && (size_t)n < sizeof(buf); i++)
                n += snprintf(buf + n, sizeof(buf) - (size_t)n, " %s (%s %.1f)",
                              o->items[i].product_id, o->score_kind, o->items[i].score);
        if (n > 0 && (size_t)n < sizeof(buf))
                snprintf(buf + n, sizeof(buf) - (size_t)n, "\n");
        return strdup(buf);
}

/* The passthrough headers of the input record being processed, if trigger_id and time are
 * those of its event (so not for an output a timer fired while it was processed), else NULL. */
static const rd_kafka_headers_t *trigger_headers(const struct xs_rt *rt, const char *trigger_id,
                                                 int64_t time)
{
        if (!rt->cur_hdrs || !trigger_id || !rt->cur_event_id || time != rt->cur_event_time ||
            strcmp(trigger_id, rt->cur_event_id) != 0)
                return NULL;
        return rt->cur_hdrs;
}

static void emit(struct xs_rt *rt, enum xs_record_kind kind, const char *topic, const char *key,
                 const void *record, int64_t ts, const rd_kafka_headers_t *hdrs, char *line)
{
        char err[256];
        size_t len = xs_kafka_encode(rt->codec, kind, rt->out_ids[kind], record, 0, &rt->buf,
                                     &rt->cap, err, sizeof(err));
        if (!len) {
                xs_rt_set_fatal(rt, "%s", err);
                free(line);
                return;
        }
        produce(rt, topic, key, strlen(key), rt->buf, len, ts, hdrs, line);
}

void xs_rt_on_offer(void *opaque, const struct xs_offer *o)
{
        struct xs_rt *rt = opaque;
        char *line = rt->o->print && !rt->restoring ? offer_line(o, rt->o->print_json) : NULL;
        xs_obs_offer(rt, o);
        emit(rt, XS_KIND_OFFER, rt->p->topic_offers, o->customer_id, o, o->created_at,
             trigger_headers(rt, o->trigger_event_id, o->created_at), line);
}

void xs_rt_on_signal(void *opaque, const struct xs_signal *s)
{
        struct xs_rt *rt = opaque;
        if (*rt->p->topic_signals)
                emit(rt, XS_KIND_SIGNAL, rt->p->topic_signals, s->customer_id, s, s->event_time,
                     trigger_headers(rt, s->trigger_event_id, s->event_time), NULL);
}

void xs_rt_on_outcome(void *opaque, const struct xs_outcome *o)
{
        struct xs_rt *rt = opaque;
        if (*rt->p->topic_outcomes)
                emit(rt, XS_KIND_OUTCOME, rt->p->topic_outcomes, o->customer_id, o, o->converted_at,
                     trigger_headers(rt, o->purchase_event_id, o->converted_at), NULL);
}

/* ---- dead letters ------------------------------------------------------------------- */

void xs_rt_dead_letter(struct xs_rt *rt, const rd_kafka_message_t *m, const char *stage,
                       xs_err_t err, const char *why)
{
        if (rt->restoring)
                return;
        if (rt->tolerance_none) {
                char msg[600];
                snprintf(msg, sizeof(msg), "%s [%" PRId32 "] offset %" PRId64 ": %s (%s)",
                         rd_kafka_topic_name(m->rkt), m->partition, m->offset, why, stage);
                xs_rt_set_fatal(rt, "errors.tolerance=none: %s", msg);
                return;
        }
        rd_kafka_headers_t *orig = NULL, *h;
        if (rd_kafka_message_headers(m, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig)
                h = rd_kafka_headers_copy(orig);
        else
                h = rd_kafka_headers_new(8);
        char num[32];
        const char *topic = rd_kafka_topic_name(m->rkt);
        rd_kafka_header_add(h, "__xsell.errors.topic", -1, topic, -1);
        snprintf(num, sizeof(num), "%" PRId32, m->partition);
        rd_kafka_header_add(h, "__xsell.errors.partition", -1, num, -1);
        snprintf(num, sizeof(num), "%" PRId64, m->offset);
        rd_kafka_header_add(h, "__xsell.errors.offset", -1, num, -1);
        rd_kafka_header_add(h, "__xsell.errors.stage", -1, stage, -1);
        rd_kafka_header_add(h, "__xsell.errors.error.code", -1, xs_err_name(err), -1);
        rd_kafka_header_add(h, "__xsell.errors.error.message", -1, why, -1);
        /* the poison record's own timestamp: its event time cannot be trusted, if read at all */
        produce(rt, rt->p->topic_dead_letter, m->key, m->key_len, m->payload, m->len,
                rd_kafka_message_timestamp(m, NULL), h, NULL);
        rd_kafka_headers_destroy(h);
        rt->st.dead_lettered++;
        xs_obs_dead_letter(rt, stage);
        xs_dead_log_add(&rt->dlog, xs_rt_now(), !strcmp(topic, rt->p->topic_events), topic,
                        m->partition, m->offset, stage, xs_err_name(err), why);
}
