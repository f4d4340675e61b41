/*
 * Dead letters in the log (dead_log.h): one by one at first, then counted by reason, and a
 * warning when everything fails. Memory is fixed (the struct); a line is written at most per
 * dead letter while logging one by one, then at most once per errors.log.interval, plus one
 * warning per run of errors.warn_consecutive.
 */
#include <stdio.h>
#include <string.h>

#include "kafka/dead_log.h"
#include "util/log.h"

void xs_dead_log_init(struct xs_dead_log *dl, int64_t first, int64_t interval_ms,
                      int64_t warn_after)
{
        memset(dl, 0, sizeof(*dl));
        dl->first = first;
        dl->interval = (double)interval_ms / 1000.0;
        dl->warn_after = warn_after;
}

const char *xs_dead_log_hint(const char *stage, const char *code)
{
        if (!strcmp(stage, "deserialize") && !strcmp(code, "DECODE"))
                return "the records' schema ids are unknown or they are not in the Schema Registry "
                       "wire format: check registry.url (the producers' registry?), or without a "
                       "registry the schema.id.* ids, and that producers use the Confluent Avro "
                       "serializer";
        if (!strcmp(stage, "deserialize"))
                return "the registry could not be used for these records: check registry.url and "
                       "registry.basic_auth";
        return "the producers break the input contract (the record key must be the "
               "customer_id; the event's fields must be valid): check the producing application";
}

static void summary_line(struct xs_dead_log *dl, double now)
{
        char by[512] = "";
        size_t n = 0;
        for (int i = 0; i < dl->n_by && n < sizeof(by); i++)
                n += (size_t)snprintf(by + n, sizeof(by) - n, "%s%s/%s %llu", i ? ", " : "",
                                      dl->by[i].stage, dl->by[i].code,
                                      (unsigned long long)dl->by[i].n);
        if (dl->other && n < sizeof(by))
                snprintf(by + n, sizeof(by) - n, ", other %llu", (unsigned long long)dl->other);
        xs_log_kv(XS_LOG_WARN, "deadletter",
                  XS_KV(XS_KV_INT("dead_letters", dl->pending),
                        XS_KV_INT("dead_letters_total", dl->total)),
                  "%llu more records dead-lettered (%s); last: %s", (unsigned long long)dl->pending,
                  by, dl->last);
        dl->pending = 0;
        dl->n_by = 0;
        dl->other = 0;
        dl->last_line = now;
}

void xs_dead_log_add(struct xs_dead_log *dl, double now, int input, const char *topic,
                     int32_t partition, int64_t offset, const char *stage, const char *code,
                     const char *why)
{
        dl->total++;
        if (input) {
                dl->input++;
                if (++dl->streak > dl->max_streak)
                        dl->max_streak = dl->streak;
                snprintf(dl->streak_stage, sizeof(dl->streak_stage), "%s", stage);
                snprintf(dl->streak_code, sizeof(dl->streak_code), "%s", code);
        }
        if (dl->logged < (uint64_t)dl->first) {
                dl->logged++;
                dl->last_line = now;
                xs_log_kv(XS_LOG_WARN, "deadletter",
                          XS_KV(XS_KV_STR("topic", topic), XS_KV_INT("partition", partition),
                                XS_KV_INT("offset", offset), XS_KV_STR("stage", stage),
                                XS_KV_STR("error.code", code)),
                          "dead-lettered: %s%s", why,
                          dl->logged == (uint64_t)dl->first
                              ? " (the last logged one by one; more are summarized)"
                              : "");
        } else {
                dl->pending++;
                snprintf(dl->last, sizeof(dl->last), "%s", why);
                int i = 0;
                while (i < dl->n_by &&
                       (strcmp(dl->by[i].stage, stage) || strcmp(dl->by[i].code, code)))
                        i++;
                if (i < dl->n_by) {
                        dl->by[i].n++;
                } else if (dl->n_by < XS_DEAD_LOG_REASONS) {
                        snprintf(dl->by[i].stage, sizeof(dl->by[i].stage), "%s", stage);
                        snprintf(dl->by[i].code, sizeof(dl->by[i].code), "%s", code);
                        dl->by[i].n = 1;
                        dl->n_by++;
                } else {
                        dl->other++;
                }
                xs_dead_log_tick(dl, now);
        }
        if (input && dl->warn_after > 0 && !dl->streak_warned &&
            dl->streak >= (uint64_t)dl->warn_after) {
                dl->streak_warned = 1;
                dl->warnings++;
                xs_log_kv(XS_LOG_WARN, "deadletter",
                          XS_KV(XS_KV_INT("consecutive", dl->streak), XS_KV_STR("stage", stage),
                                XS_KV_STR("error.code", code)),
                          "the last %llu input records were all dead-lettered (last: %s); likely "
                          "cause: %s",
                          (unsigned long long)dl->streak, why, xs_dead_log_hint(stage, code));
        }
}

void xs_dead_log_ok(struct xs_dead_log *dl)
{
        dl->streak = 0;
        dl->streak_warned = 0;
}

void xs_dead_log_tick(struct xs_dead_log *dl, double now)
{
        if (dl->pending && now - dl->last_line >= dl->interval)
                summary_line(dl, now);
}

void xs_dead_log_flush(struct xs_dead_log *dl)
{
        if (dl->pending)
                summary_line(dl, dl->last_line);
}

int xs_dead_log_flag(const struct xs_dead_log *dl, uint64_t consumed, char *buf, size_t size)
{
        buf[0] = '\0';
        if (consumed > 0 && dl->input >= consumed)
                snprintf(buf, size,
                         "; WARNING: all %llu input records were dead-lettered (likely cause: %s)",
                         (unsigned long long)consumed,
                         xs_dead_log_hint(dl->streak_stage, dl->streak_code));
        else if (dl->warnings > 0)
                snprintf(buf, size,
                         "; WARNING: up to %llu input records in a row were dead-lettered (likely "
                         "cause: %s)",
                         (unsigned long long)dl->max_streak,
                         xs_dead_log_hint(dl->streak_stage, dl->streak_code));
        return buf[0] != '\0';
}
