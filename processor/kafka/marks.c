/*
 * Seal markers that wait for the customers changelog (issue 11). A seal marker on the panes
 * topic lets every other instance step past the events its partition has processed; if that
 * partition is then taken over after a crash or a lost session, its next owner reads it again
 * from the changelog's last commit marker. So under at-least-once a seal marker names only what
 * the changelog holds durably: this is the non-blocking way to get there between commits
 * (xs_rt_commit_now does the same with flushes).
 *
 * One round at a time (rt->mk_phase): 0, a marker is due: the markers' values are captured
 * (xs_rt_panes_capture) and the changelog written (changed customers, stages); 1, once
 * everything produced is acknowledged: the changelog's commit markers, at the offsets captured;
 * 2, once those are acknowledged: the seal markers, with the values captured.
 *
 * Bounds: one round in flight; checking its acknowledgements never waits. With records
 * produced all the time a round may not complete before the next commit, which publishes the
 * markers itself.
 */
#include "kafka/marks.h"

#include "kafka/changelog.h"
#include "kafka/kafka_int.h"
#include "kafka/panes.h"

/* Whether everything produced so far is acknowledged. Not by flushing: with other records
 * produced all the time (a single instance's offers), a flush of even 1 ms per loop iteration
 * capped the loop at about a thousand events a second. */
static int acknowledged(struct xs_rt *rt)
{
        return rd_kafka_outq_len(rt->producer) == 0;
}

void xs_rt_panes_mark(struct xs_rt *rt, int on_seal)
{
        if (!rt->panecons || !rt->stepper)
                return;
        /* exactly-once (in the transaction, committed with everything it covers), no changelog
         * to wait for, or not asked to: at once */
        if (rt->eos || !rt->n_cl_parts || !rt->p->state_durable_markers) {
                if (on_seal && !xs_rt_panes_due(rt))
                        return;
                xs_rt_panes_capture(rt);
                xs_rt_panes_publish(rt);
                return;
        }
        switch (rt->mk_phase) {
        case 0:
                if (!xs_rt_panes_due(rt))
                        return;
                xs_rt_panes_capture(rt);
                if (xs_rt_changelog_write(rt) != 0)
                        return; /* the next commit writes the rest */
                rt->mk_phase = 1;
                rt->st.panes_mark_rounds++;
                /* fall through */
        case 1:
                if (rt->fatal || !acknowledged(rt))
                        return;
                if (xs_rt_changelog_mark_at(rt, rt->mk_off) != 0) {
                        rt->mk_phase = 0;
                        return;
                }
                rt->mk_phase = 2;
                /* fall through */
        default:
                if (rt->fatal || !acknowledged(rt))
                        return;
                xs_rt_panes_publish(rt); /* and mk_phase 0 */
        }
}
