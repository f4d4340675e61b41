
/*
 * Making what the Kafka runtime processed durable, every commit.interval, on revocation and at
 * shutdown.
 *
 *  - at_least_once: an input offset counts only after its record was processed, and offsets
 *    are committed only after the producer has been flushed, i.e. after every record derived
 *    from them was acknowledged. A crash re-delivers what was not committed; offer ids are
 *    deterministic, so downstream can drop the repeats.
 *  - exactly_once: outputs and input offsets are committed in one Kafka transaction every
 *    commit.interval. The outputs of the open transaction are also kept (produce.c), so that
 *    when the broker aborts it (an abortable error) they are produced again, unchanged, in a
 *    fresh transaction with the same offsets: the engine's state never has to be rolled back.
 *    Fencing and fatal errors stop the processor.
 *
 * Bounds: a transaction is tried at most 10 times; the flush and each transaction call wait at
 * most shutdown.timeout (30 s when it is 0).
 */
#include <stdio.h>

#include "kafka/changelog.h"
#include "kafka/commit.h"
#include "kafka/hold.h"
#include "kafka/kafka_int.h"
#include "kafka/marks.h"
#include "kafka/obs.h"
#include "kafka/panes.h"
#include "kafka/produce.h"
#include "util/log.h"

static int txn_commit(struct xs_rt *rt)
{
        int timeout = (int)(rt->p->shutdown_timeout > 0 ? rt->p->shutdown_timeout : 30000);
        for (int attempt = 0; attempt < 10 && !rt->fatal; attempt++) {
                rd_kafka_error_t *error = NULL;
                /* the offsets after the records processed (not the consumer's position:
                 * records held for their panes are read but not processed, hold.c) */
                rd_kafka_topic_partition_list_t *offs = xs_rt_done_offsets(rt, 0);
                if (offs->cnt) {
                        rd_kafka_consumer_group_metadata_t *cgmd =
                            rd_kafka_consumer_group_metadata(rt->consumer);
                        error =
                            rd_kafka_send_offsets_to_transaction(rt->producer, offs, cgmd, timeout);
                        rd_kafka_consumer_group_metadata_destroy(cgmd);
                }
                rd_kafka_topic_partition_list_destroy(offs);
                if (!error)
                        error = rd_kafka_commit_transaction(rt->producer, timeout);
                if (!error) {
                        rt->txn_open = 0;
                        xs_rt_txn_clear(rt);
                        rt->st.txn_commits++;
                        return 0;
                }
                if (rd_kafka_error_is_retriable(error)) {
                        rd_kafka_error_destroy(error);
                        continue;
                }
                if (rd_kafka_error_txn_requires_abort(error)) {
                        rd_kafka_error_destroy(error);
                        /* produce the same records again in a new transaction */
                        if (xs_rt_txn_redo(rt) != 0)
                                return -1;
                        continue;
                }
                xs_rt_set_fatal(rt, "transaction failed (fenced or fatal): %s",
                                rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                xs_obs_txn_failed(rt);
                return -1;
        }
        if (!rt->fatal)
                xs_rt_set_fatal(rt, "%s", "transaction could not be committed after 10 attempts");
        xs_obs_txn_failed(rt);
        return -1;
}

/* rd_kafka_flush in steps of 100 ms, within timeout_ms: while the broker is away the loop's
 * liveness and metrics stay fresh (obs.c). */
static rd_kafka_resp_err_t flush(struct xs_rt *rt, int timeout_ms)
{
        double until = xs_rt_now() + (double)timeout_ms / 1000.0;
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_flush(rt->producer, 100);
                if (err != RD_KAFKA_RESP_ERR__TIMED_OUT || xs_rt_now() >= until)
                        return err;
                xs_obs_tick(rt);
        }
}

/* Everything produced so far acknowledged (within timeout_ms); counted as a failed commit if
 * not. */
static int flushed(struct xs_rt *rt, int timeout_ms)
{
        if (flush(rt, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_outq_len(rt->producer) == 0)
                return 1;
        xs_obs_commit_failed(rt);
        return 0;
}

/* Makes everything processed so far durable. Returns 0, or -1 (not committed yet). */
int xs_rt_commit_now(struct xs_rt *rt)
{
        rt->last_commit = xs_rt_now();
        int timeout = (int)(rt->p->shutdown_timeout > 0 ? rt->p->shutdown_timeout : 30000);
        if (rt->eos) {
                xs_rt_panes_mark(rt, 0); /* in the transaction, after the deltas they cover */
                /* the customers' state as of the offsets committed, before them (changelog.c) */
                if (xs_rt_changelog_write(rt) != 0 && rt->fatal)
                        return -1;
                /* the markers after the transaction's other records were acknowledged: the
                 * commit makes them visible together on a real broker, and on one that does
                 * not enforce transactions (the embedded one) a marker still never names
                 * input whose outputs were not written (the commit would flush anyway) */
                if (rt->txn_open && rt->n_cl_parts && flush(rt, timeout) == 0 &&
                    xs_rt_changelog_mark(rt) != 0)
                        return -1;
                return rt->txn_open ? txn_commit(rt) : 0;
        }
        /* the customers and stages of what was processed, then every record derived from the
         * stored offsets acknowledged (the flush), then the changelog markers that name it,
         * then, once those are acknowledged too, the seal markers on the panes topic (marks.c:
         * with state.durable_markers a seal marker names only what the changelog holds) */
        xs_rt_panes_capture(rt);
        if (xs_rt_changelog_write(rt) != 0 && rt->fatal)
                return -1;
        if (!flushed(rt, timeout) || rt->fatal)
                return -1;
        if (xs_rt_changelog_mark(rt) != 0)
                return -1;
        if (rt->panecons) {
                if (rt->n_cl_parts && rt->p->state_durable_markers && !flushed(rt, timeout))
                        return -1;
                xs_rt_panes_publish(rt); /* after the deltas they cover (panes.c) */
        }
        /* only what moved: a commit waits for the group coordinator, which may be away */
        rd_kafka_topic_partition_list_t *offs = xs_rt_done_offsets(rt, 1);
        rd_kafka_resp_err_t err =
            offs->cnt ? rd_kafka_commit(rt->consumer, offs, 0) : RD_KAFKA_RESP_ERR__NO_OFFSET;
        if (!err)
                xs_rt_done_committed(rt, offs);
        rd_kafka_topic_partition_list_destroy(offs);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                if (!rt->o->quiet)
                        xs_log_kv(XS_LOG_WARN, "commit",
                                  XS_KV(XS_KV_STR("error.code", rd_kafka_err2name(err))),
                                  "commit failed: %s", rd_kafka_err2str(err));
                xs_obs_commit_failed(rt);
                return -1;
        }
        if (!err)
                rt->st.commits++;
        return 0;
}
