/*
 * What `xsell run` shows of itself: the metrics (Prometheus text, rendered by the loop's thread
 * every XS_OBS_RENDER_S and served by the HTTP endpoint, http.c), liveness and readiness, the
 * debug views, librdkafka's statistics (consumer lag and more, through a stats callback served
 * by the loop's polls), the processing-latency histogram and restore progress.
 *
 * Every function here runs on the loop's thread and takes the runtime; all are no-ops before
 * xs_obs_start and after xs_obs_stop. Counters the runtime keeps anyway (struct xs_rt_stats)
 * and the engine's (struct xs_stats) are read when rendering; only what neither keeps is
 * counted here.
 */
#ifndef XS_OBS_H
#define XS_OBS_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "xsell/offer.h"

struct xs_rt;

#define XS_OBS_RENDER_S 0.5 /* the metrics text is at most this old */

/* Sets up rt->obs and, with http.enable, starts the HTTP endpoint and logs where it listens.
 * Returns 0, or -1 when the endpoint cannot start (the message is logged). */
int xs_obs_start(struct xs_rt *rt);
/* Renders the last metrics, marks the process not ready ("shutting down"), stops the endpoint
 * and frees rt->obs. */
void xs_obs_stop(struct xs_rt *rt);

/* The loop made progress (call it every iteration, and from any loop that waits: registry
 * retries, catalog bootstrap, restore, flushes): liveness, the metrics text every
 * XS_OBS_RENDER_S, readiness, and the debug question waiting, if any. Between records only. */
void xs_obs_tick(struct xs_rt *rt);
/* The end of the run: renders the final text (a last scrape sees the final counts). */
void xs_obs_final(struct xs_rt *rt);

/* With http.enable: sets the statistics callback on a librdkafka configuration of the runtime,
 * and kafka.statistics.interval.ms to 5000 unless it is set (0: no statistics). */
void xs_obs_kafka_conf(struct xs_rt *rt, rd_kafka_conf_t *kc);

/* Counting hooks. */
void xs_obs_offer(struct xs_rt *rt, const struct xs_offer *o);
void xs_obs_delivered(struct xs_rt *rt, const rd_kafka_message_t *m);
void xs_obs_dead_letter(struct xs_rt *rt, const char *stage);
void xs_obs_latency(struct xs_rt *rt, double seconds);
void xs_obs_commit_failed(struct xs_rt *rt);
void xs_obs_txn_failed(struct xs_rt *rt);
/* The start (output schemas) or decoding waits for the schema registry (why: the last error), or
 * no longer (why NULL): until ready, /readyz gives that as the reason. */
void xs_obs_registry_wait(struct xs_rt *rt, const char *why);
void xs_obs_catalog_loaded(struct xs_rt *rt);
/* Restore (rebalance.c): begin with the events planned and those the cap left out; progress
 * while reading (read so far) and replaying (replayed so far); end. Progress is logged every
 * 5 s. */
void xs_obs_restore_begin(struct xs_rt *rt, int64_t planned, int64_t skipped);
void xs_obs_restore_progress(struct xs_rt *rt, const char *phase, int64_t done);
void xs_obs_restore_end(struct xs_rt *rt);

/* The conversions and the control group's per offer type for the exit summary (PRODUCT.md
 * section 6), as "; conversions (converted/sent, ...): TYPE=c/s (r%) ...; control group
 * (converted/withheld): ..." into buf; tot gets the totals: offers made, converted, withheld
 * for the control group, converted there. What the restore replayed is left out. */
void xs_obs_summary(struct xs_rt *rt, char *buf, size_t size, uint64_t tot[4]);

#endif
