/*
 * The customers changelog: customers' state written at every commit and restored when their
 * partition is assigned (changelog.c).
 */
#ifndef XS_KAFKA_CHANGELOG_H
#define XS_KAFKA_CHANGELOG_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct xs_rt;

/* With state.changelog: the topic is found (or created) and checked to have at least the events
 * topic's partition count, and the engine lists changed customers from now on. Returns 0 (also
 * when off), or -1 (logged). */
int xs_rt_changelog_start(struct xs_rt *rt);
/* At a commit, before the flush (at-least-once) or the transaction's commit (exactly-once):
 * the changed customers and tombstones. Returns 0, or -1 (not all written: the rest is written
 * at the next commit; fatal set when producing failed). */
int xs_rt_changelog_write(struct xs_rt *rt);
/* Then a commit marker per owned partition that moved: in the transaction (exactly-once), or
 * after the flush, once everything before it was acknowledged (at-least-once). Returns 0 or -1
 * (fatal set). */
int xs_rt_changelog_mark(struct xs_rt *rt);
/* The same with the offsets a changelog write stood at (offs[part], -1: none), for markers
 * written after more records were processed (marks.c). */
int xs_rt_changelog_mark_at(struct xs_rt *rt, const int64_t *offs);
/* On assignment: reads the changelog partitions of parts to their end. With import, each
 * customer's state as of its partition's last commit marker is imported (tagged with the
 * partition). marks[i] gets the input offset named by parts' i-th partition's last marker
 * (-1: none). Returns 0, or -1 (logged). */
int xs_rt_changelog_read(struct xs_rt *rt, const rd_kafka_topic_partition_list_t *parts, int import,
                         int64_t *marks);

#endif
