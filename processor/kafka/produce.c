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
 *   headers, plus __xsell.errors.* headers (topic, partition, offset, stage, error). One that
 *   would not fit the producer's message.max.bytes is cut to fit (value, then its headers, then
 *   its key) and says so in __xsell.errors.truncated, with the original sizes.
 * - Exactly-once: a transaction is opened on first use, and every record of the open
 *   transaction is also copied here (as many as one commit.interval produces; txn_bytes counts
 *   them), so that commit.c can produce them again, unchanged, when the broker aborts it.
 * - While restoring (rebalance.c) nothing is produced: those outputs were produced before.
 * A full local queue is waited out (poll 50 ms, try again). Under exactly-once a produce refused
 * because the open transaction failed (ERR__STATE after an abortable error) aborts it and
 * produces its records again in a new one (xs_rt_txn_redo, which commit.c uses too); any other
 * produce error is fatal.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "kafka/kafka_int.h"
#include "kafka/obs.h"
#include "kafka/produce.h"
#include "util/log.h"

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

/* Produces one record; waits while the local queue is full. hdrs is copied, opaque is not
 * freed here. ts is the record's timestamp (ms since the epoch; 0 or less: the producer's
 * clock). Returns librdkafka's error. */
static rd_kafka_resp_err_t produce_once(struct xs_rt *rt, const char *topic, int32_t partition,
                                        const void *key, size_t klen, const void *value,
                                        size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                                        void *opaque)
{
        for (;;) {
                rd_kafka_headers_t *h = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
                rd_kafka_resp_err_t err = rd_kafka_producev(
                    rt->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)value, vlen),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0),
                    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
                if (!err) {
                        rt->st.produced++;
                        return err;
                }
                if (h)
                        rd_kafka_headers_destroy(h);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        return err;
                rd_kafka_poll(rt->producer, 50);
        }
}

/* Exactly-once: err is librdkafka refusing a produce because the open transaction failed (an
 * abortable error, e.g. AddPartitionsToTxn refused, with records in flight): every produce
 * answers ERR__STATE until the transaction is aborted. Not so once the producer is fatal. */
static int txn_abortable(struct xs_rt *rt, rd_kafka_resp_err_t err)
{
        return rt->eos && rt->txn_open && err == RD_KAFKA_RESP_ERR__STATE &&
               rd_kafka_fatal_error(rt->producer, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int xs_rt_txn_redo(struct xs_rt *rt)
{
        int timeout = (int)(rt->p->shutdown_timeout > 0 ? rt->p->shutdown_timeout : 30000);
        for (int attempt = 0; attempt < 10 && !rt->fatal; attempt++) {
                rd_kafka_error_t *error = rd_kafka_abort_transaction(rt->producer, timeout);
                if (error && rd_kafka_error_is_retriable(error)) {
                        rd_kafka_error_destroy(error); /* the abort timed out: again */
                        continue;
                }
                if (error) {
                        xs_rt_set_fatal(rt, "abort_transaction: %s", rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        return -1;
                }
                rt->st.txn_aborts++;
                rt->txn_open = 0;
                if (xs_rt_txn_begin(rt) != 0)
                        return -1;
                rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
                for (size_t i = 0; i < rt->n_txn && !err; i++) {
                        struct txn_rec *t = &rt->txn[i];
                        err = produce_once(rt, t->topic, t->partition, t->key, t->klen, t->value,
                                           t->vlen, t->ts, t->hdrs, NULL);
                }
                if (!err)
                        return 0;
                if (!txn_abortable(rt, err)) {
                        xs_rt_set_fatal(rt, "produce failed: %s", rd_kafka_err2str(err));
                        return -1;
                }
                /* the new transaction failed too while its records were produced: again */
                xs_log(XS_LOG_WARN, "kafka",
                       "the open transaction failed while producing (%s): the new one failed "
                       "too while its %zu records were produced again; aborting again",
                       rd_kafka_err2str(err), rt->n_txn);
        }
        if (!rt->fatal)
                xs_rt_set_fatal(rt, "%s",
                                "transaction could not be produced again after 10 attempts");
        return -1;
}

static int produce_raw(struct xs_rt *rt, const char *topic, int32_t partition, const void *key,
                       size_t klen, const void *value, size_t vlen, int64_t ts,
                       const rd_kafka_headers_t *hdrs, void *opaque)
{
        rd_kafka_resp_err_t err =
            produce_once(rt, topic, partition, key, klen, value, vlen, ts, hdrs, opaque);
        if (!err)
                return 0;
        free(opaque);
        /* the record is among the open transaction's copies (produce() keeps it first):
         * producing them all again in a new transaction includes it (issue 10 item 6: this
         * used to stop the run) */
        if (txn_abortable(rt, err)) {
                xs_log(XS_LOG_WARN, "kafka",
                       "the open transaction failed while producing (%s): aborted, its %zu "
                       "records produced again in a new one",
                       rd_kafka_err2str(err), rt->n_txn);
                return xs_rt_txn_redo(rt);
        }
        xs_rt_set_fatal(rt, "produce failed: %s", rd_kafka_err2str(err));
        return -1;
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

int xs_rt_produce_raw(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                      const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                      void *opaque)
{
        return produce_raw(rt, topic, RD_KAFKA_PARTITION_UA, key, klen, value, vlen, ts, hdrs,
                           opaque);
}

/* ts: the record's timestamp (ms since the epoch; 0: now). */
int xs_rt_produce(struct xs_rt *rt, const char *topic, const void *key, size_t klen,
                  const void *value, size_t vlen, int64_t ts, const rd_kafka_headers_t *hdrs,
                  void *opaque)
{
        return xs_rt_produce_to(rt, topic, RD_KAFKA_PARTITION_UA, key, klen, value, vlen, ts, hdrs,
                                opaque);
}

int xs_rt_produce_to(struct xs_rt *rt, const char *topic, int32_t partition, const void *key,
                     size_t klen, const void *value, size_t vlen, int64_t ts,
                     const rd_kafka_headers_t *hdrs, void *opaque)
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
                t->partition = partition;
                t->hdrs = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
                rt->txn_bytes += klen + vlen;
        }
        return produce_raw(rt, topic, partition, key, klen, value, vlen, ts, hdrs, opaque);
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
        xs_rt_produce(rt, topic, key, strlen(key), rt->buf, len, ts, hdrs, line);
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

/* Serialized size of a header, bounded above (two varints of at most 5 bytes each). */
#define XS_HDR_SIZE(name_len, value_len) ((name_len) + (value_len) + 10)

/* Room for a dead letter's key, value and headers: the producer's message.max.bytes (as
 * librdkafka checks it on produce) less 1 KiB for the record and batch framing. */
static size_t dead_letter_room(struct xs_rt *rt)
{
        char v[32];
        size_t n = sizeof(v);
        long max = 1000000; /* librdkafka's default */
        if (rd_kafka_conf_get(rd_kafka_conf(rt->producer), "message.max.bytes", v, &n) ==
            RD_KAFKA_CONF_OK)
                max = strtol(v, NULL, 10);
        return max > 2048 ? (size_t)max - 1024 : 1024;
}

/* The parts of a dead letter that fit: the value is cut first, then the record's own headers
 * are left out, then the key is cut; our headers (ours bytes) always go. Fills *klen, *vlen and
 * *keep_hdrs, and what was cut in cut (a comma-separated list, "" when nothing was). */
static void dead_letter_fit(size_t room, size_t ours, size_t hdrs, size_t *klen, size_t *vlen,
                            int *keep_hdrs, char *cut, size_t cut_size)
{
        size_t avail = room > ours ? room - ours : 0;
        int value_cut = 0, hdrs_cut = 0, key_cut = 0;
        *keep_hdrs = 1;
        cut[0] = '\0';
        if (*klen + *vlen + hdrs <= avail)
                return;
        if (hdrs && *klen + hdrs > avail) {
                hdrs_cut = 1;
                *keep_hdrs = 0;
                hdrs = 0;
        }
        if (*klen > avail) {
                key_cut = 1;
                *klen = avail;
        }
        size_t left = avail - *klen - hdrs; /* >= 0: both fit avail now */
        if (*vlen > left) {
                value_cut = 1;
                *vlen = left;
        }
        snprintf(cut, cut_size, "%s%s%s%s%s", value_cut ? "value" : "",
                 value_cut && hdrs_cut ? "," : "", hdrs_cut ? "headers" : "",
                 (value_cut || hdrs_cut) && key_cut ? "," : "", key_cut ? "key" : "");
}

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
        /* a dead letter that does not fit message.max.bytes could not be produced, and the
         * poison would stop the processor at the same offset on every start (issue 10 item 5):
         * the record's coordinates and the reason always go, what does not fit is cut */
        char num[32], part[32], off[32];
        const char *topic = rd_kafka_topic_name(m->rkt);
        snprintf(part, sizeof(part), "%" PRId32, m->partition);
        snprintf(off, sizeof(off), "%" PRId64, m->offset);
        const char *ours[][2] = {{"__xsell.errors.topic", topic},
                                 {"__xsell.errors.partition", part},
                                 {"__xsell.errors.offset", off},
                                 {"__xsell.errors.stage", stage},
                                 {"__xsell.errors.error.code", xs_err_name(err)},
                                 {"__xsell.errors.error.message", why}};
        /* the truncation headers: 4 of at most 40 + 32 bytes */
        size_t ours_size = 4 * XS_HDR_SIZE(40, 32);
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
                ours_size += XS_HDR_SIZE(strlen(ours[i][0]), strlen(ours[i][1]));
        rd_kafka_headers_t *orig = NULL;
        size_t orig_size = 0;
        if (rd_kafka_message_headers(m, &orig) != RD_KAFKA_RESP_ERR_NO_ERROR)
                orig = NULL;
        const char *name;
        const void *val;
        size_t vsize;
        for (size_t i = 0; orig && !rd_kafka_header_get_all(orig, i, &name, &val, &vsize); i++)
                orig_size += XS_HDR_SIZE(strlen(name), vsize);
        size_t klen = m->key_len, vlen = m->len;
        int keep_hdrs;
        char cut[32];
        dead_letter_fit(dead_letter_room(rt), ours_size, orig_size, &klen, &vlen, &keep_hdrs, cut,
                        sizeof(cut));
        rd_kafka_headers_t *h =
            orig && keep_hdrs ? rd_kafka_headers_copy(orig) : rd_kafka_headers_new(10);
        for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
                rd_kafka_header_add(h, ours[i][0], -1, ours[i][1], -1);
        if (*cut) {
                const char *what = cut;
                rd_kafka_header_add(h, "__xsell.errors.truncated", -1, cut, -1);
                snprintf(num, sizeof(num), "%zu", m->key_len);
                rd_kafka_header_add(h, "__xsell.errors.original.key.bytes", -1, num, -1);
                snprintf(num, sizeof(num), "%zu", m->len);
                rd_kafka_header_add(h, "__xsell.errors.original.value.bytes", -1, num, -1);
                snprintf(num, sizeof(num), "%zu", orig_size);
                rd_kafka_header_add(h, "__xsell.errors.original.headers.bytes", -1, num, -1);
                rt->st.dead_letters_truncated++;
                xs_log_kv(XS_LOG_WARN, "kafka",
                          XS_KV(XS_KV_STR("topic", topic), XS_KV_INT("partition", m->partition),
                                XS_KV_INT("offset", m->offset), XS_KV_STR("truncated", what)),
                          "dead letter of a %zu-byte record cut to fit message.max.bytes: %s",
                          m->key_len + m->len + orig_size, cut);
        }
        /* the poison record's own timestamp: its event time cannot be trusted, if read at all */
        xs_rt_produce(rt, rt->p->topic_dead_letter, m->key, klen, m->payload, vlen,
                      rd_kafka_message_timestamp(m, NULL), h, NULL);
        rd_kafka_headers_destroy(h);
        rt->st.dead_lettered++;
        xs_obs_dead_letter(rt, stage);
        xs_dead_log_add(&rt->dlog, xs_rt_now(), !strcmp(topic, rt->p->topic_events), topic,
                        m->partition, m->offset, stage, xs_err_name(err), why);
}
