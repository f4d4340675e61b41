/*
 * Logging dead letters without flooding the log, and without hiding them either (issue 12,
 * defect 2: with errors.tolerance=all a wrong registry dead-lettered every record and nothing
 * was logged until the exit summary).
 *
 * - The first errors.log.first dead letters are logged one by one (topic, partition, offset,
 *   stage, error code, reason; never the record).
 * - After them, at most one summary line per errors.log.interval: how many since the last line,
 *   counted by stage and error code (at most XS_DEAD_LOG_REASONS of them, the rest as "other"),
 *   and the last reason.
 * - errors.warn_consecutive input records dead-lettered in a row log a warning naming the
 *   likely cause, once per such run; the exit summary says so too (xs_dead_log_flag).
 * State is a plain struct the runtime embeds; one thread.
 */
#ifndef XS_DEAD_LOG_H
#define XS_DEAD_LOG_H

#include <stddef.h>
#include <stdint.h>

#define XS_DEAD_LOG_REASONS 8

struct xs_dead_log {
        int64_t first, warn_after;
        double interval;        /* seconds */
        uint64_t total, logged; /* dead letters, and those logged one by one */
        uint64_t input;         /* dead letters of input records (not the catalog's) */
        uint64_t streak;        /* input records dead-lettered in a row */
        uint64_t max_streak;    /* the longest such run */
        char streak_stage[16], streak_code[16]; /* of the last input dead letter */
        int streak_warned;                      /* this run of dead letters was warned about */
        uint64_t warnings;                      /* such warnings in the whole run */
        uint64_t pending;                       /* since the last line (one by one or summary) */
        struct {
                char stage[16], code[16];
                uint64_t n;
        } by[XS_DEAD_LOG_REASONS]; /* pending ones by reason; the others in other */
        int n_by;
        uint64_t other;
        char last[256]; /* the last pending reason */
        double last_line;
};

void xs_dead_log_init(struct xs_dead_log *dl, int64_t first, int64_t interval_ms,
                      int64_t warn_after);

/* One dead letter at time now (seconds, monotonic); input: a record of the events topic (only
 * those make a run of dead letters; a catalog record does not). */
void xs_dead_log_add(struct xs_dead_log *dl, double now, int input, const char *topic,
                     int32_t partition, int64_t offset, const char *stage, const char *code,
                     const char *why);

/* An input record processed: ends a run of dead letters. */
void xs_dead_log_ok(struct xs_dead_log *dl);

/* Writes the summary line when one is due (call it from the loop). */
void xs_dead_log_tick(struct xs_dead_log *dl, double now);

/* Writes what is pending, whatever the interval (at exit). */
void xs_dead_log_flush(struct xs_dead_log *dl);

/* The exit summary's flag for consumed input records: "" when nothing is to be flagged, else
 * "; WARNING: ..." with the likely cause, in buf. Returns 1 when flagged. */
int xs_dead_log_flag(const struct xs_dead_log *dl, uint64_t consumed, char *buf, size_t size);

/* The likely cause of dead letters at stage with code (for the warning and the summary). */
const char *xs_dead_log_hint(const char *stage, const char *code);

#endif
