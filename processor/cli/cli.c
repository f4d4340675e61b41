/* Shared subcommand helpers; see cli.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

extern char **environ;

int xs_cli_conf_file(struct xs_cli_conf *cc, const char *path)
{
        if (cc->n_files == (int)(sizeof(cc->files) / sizeof(cc->files[0]))) {
                fprintf(stderr, "xsell: too many -F files\n");
                return -1;
        }
        cc->files[cc->n_files++] = path;
        return 0;
}

int xs_cli_conf_set(struct xs_cli_conf *cc, const char *kv)
{
        if (!strchr(kv, '=') || kv[0] == '=') {
                fprintf(stderr, "xsell: -X expects key=value, got \"%s\"\n", kv);
                return -1;
        }
        if (cc->n_sets == (int)(sizeof(cc->sets) / sizeof(cc->sets[0]))) {
                fprintf(stderr, "xsell: too many -X settings\n");
                return -1;
        }
        cc->sets[cc->n_sets++] = kv;
        return 0;
}

int xs_cli_format_opt(const char *cmd, const char *arg, int *fmt)
{
        int f = xs_format_parse(arg);
        if (f < 0) {
                fprintf(stderr, "xsell%s%s: unknown format \"%s\"\n", cmd ? " " : "",
                        cmd ? cmd : "", arg);
                return -1;
        }
        *fmt = f;
        return 0;
}

int xs_cli_conf_opt(struct xs_cli_conf *cc, int opt, const char *arg)
{
        return opt == 'F' ? xs_cli_conf_file(cc, arg) : xs_cli_conf_set(cc, arg);
}

static int apply_kv(struct xs_conf *conf, const char *kv, const char *origin)
{
        char key[256], err[512];
        const char *eq = strchr(kv, '=');
        size_t n = (size_t)(eq - kv);
        if (n >= sizeof(key))
                n = sizeof(key) - 1;
        memcpy(key, kv, n);
        key[n] = '\0';
        if (xs_conf_set(conf, key, eq + 1, err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell: %s: %s\n", origin, err);
                return -1;
        }
        return 0;
}

struct xs_conf *xs_cli_conf_build(const struct xs_cli_conf *cc, const char *const *extra)
{
        char err[512];
        struct xs_conf *conf = xs_conf_new();
        if (!conf) {
                fprintf(stderr, "xsell: out of memory\n");
                return NULL;
        }
        for (; extra && *extra; extra++)
                if (apply_kv(conf, *extra, "command default") != 0)
                        goto fail;
        for (int i = 0; i < cc->n_files; i++) {
                if (xs_conf_load_file(conf, cc->files[i], err, sizeof(err)) != XS_OK) {
                        fprintf(stderr, "xsell: %s\n", err);
                        goto fail;
                }
        }
        if (xs_conf_load_env(conf, environ, err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell: %s\n", err);
                goto fail;
        }
        for (int i = 0; i < cc->n_sets; i++)
                if (apply_kv(conf, cc->sets[i], "-X") != 0)
                        goto fail;
        if (xs_conf_check(conf, err, sizeof(err)) != XS_OK) {
                fprintf(stderr, "xsell: configuration: %s\n", err);
                goto fail;
        }
        return conf;
fail:
        xs_conf_destroy(conf);
        return NULL;
}

int xs_cli_load_catalog(struct xs_engine *eng, const char *path, enum xs_format fmt,
                        xs_cli_bad_cb *bad, void *opaque, int quiet)
{
        char err[512];
        struct xs_reader *rd = xs_reader_open(path, fmt, XS_KIND_PRODUCT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell: catalog: %s\n", err);
                return -1;
        }
        uint64_t n = 0, rejected = 0;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell: catalog: %s\n", err);
                        xs_reader_close(rd);
                        return -1;
                }
                if (e != XS_OK) {
                        rejected++;
                        if (bad)
                                bad(opaque, path, rec.position, e, "catalog_read", err);
                        continue;
                }
                if (eof)
                        break;
                n++;
                if (rec.tombstone) {
                        xs_engine_catalog_delete(eng, rec.product.product_id);
                        continue;
                }
                e = xs_engine_catalog_put(eng, &rec.product, err, sizeof(err));
                if (e != XS_OK) {
                        rejected++;
                        if (bad)
                                bad(opaque, path, rec.position, e, "catalog", err);
                }
        }
        xs_reader_close(rd);
        if (!quiet)
                fprintf(stderr, "xsell: catalog %s: %" PRIu64 " records, %" PRIu64 " rejected\n",
                        path, n, rejected);
        return 0;
}

double xs_cli_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rate(uint64_t num, uint64_t den)
{
        return den ? 100.0 * (double)num / (double)den : 0.0;
}

void xs_cli_summary(FILE *f, const struct xs_stats *st, const char *source, uint64_t records,
                    uint64_t read_errors, double seconds, int json)
{
        if (json) {
                fprintf(f, "{\"source\":");
                xs_cli_json_string(f, source);
                fprintf(f,
                        ",\"records\":%" PRIu64 ",\"read_errors\":%" PRIu64
                        ",\"seconds\":%.3f,\"offerable\":\"%s\"",
                        records, read_errors, seconds, st->catalog_records ? "catalog" : "learned");
                fprintf(f, ",\"events_by_type\":{");
                for (int t = 0; t < XS_EV_COUNT; t++)
                        fprintf(f, "%s\"%s\":%" PRIu64, t ? "," : "", xs_event_type_name(t),
                                st->events_by_type[t]);
                fprintf(f, "},\"offers\":[");
                int first = 1;
                for (int o = 0; o < XS_OFFER_COUNT; o++)
                        for (int s = 0; s < XS_STAGE_COUNT; s++) {
                                if (!st->offers[o][s] && !st->control_offers[o][s])
                                        continue;
                                fprintf(f,
                                        "%s{\"type\":\"%s\",\"stage\":\"%s\",\"sent\":%" PRIu64
                                        ",\"converted\":%" PRIu64 ",\"control_withheld\":%" PRIu64
                                        ",\"control_converted\":%" PRIu64 "}",
                                        first ? "" : ",", xs_offer_type_name(o), xs_stage_name(s),
                                        st->offers[o][s], st->conversions[o][s],
                                        st->control_offers[o][s], st->control_conversions[o][s]);
                                first = 0;
                        }
                fprintf(f, "],\"stage_entries\":{");
                for (int s = 0; s < XS_STAGE_COUNT; s++)
                        fprintf(f, "%s\"%s\":%" PRIu64, s ? "," : "", xs_stage_name(s),
                                st->stage_entries[s]);
                fprintf(f, "},\"counters\":{");
                first = 1;
#define XS_SUMMARY_FIELD(name, kind, help)                                                         \
        fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", #name, st->name);                        \
        first = 0;
                XS_STATS_SCALARS(XS_SUMMARY_FIELD)
#undef XS_SUMMARY_FIELD
                fprintf(f, "}}\n");
                return;
        }
        fprintf(f, "\n== xsell summary: %s ==\n", source);
        fprintf(f, "records read %" PRIu64 ", unreadable %" PRIu64 ", %.2f s (%.0f records/s)\n",
                records, read_errors, seconds, seconds > 0 ? (double)records / seconds : 0.0);
        fprintf(f,
                "events processed %" PRIu64 ", duplicate %" PRIu64 ", late %" PRIu64
                ", rejected %" PRIu64 "\n",
                st->events_processed, st->events_duplicate, st->events_late, st->events_rejected);
        fprintf(f, "events by type:");
        for (int t = 0; t < XS_EV_COUNT; t++)
                if (st->events_by_type[t])
                        fprintf(f, " %s=%" PRIu64, xs_event_type_name(t), st->events_by_type[t]);
        fprintf(f, "\n");
        if (st->events_rejected)
                fprintf(f,
                        "rejected by reason: missing_field=%" PRIu64 " bad_quantity=%" PRIu64
                        " bad_price=%" PRIu64 " too_many_items=%" PRIu64 " unknown_type=%" PRIu64
                        " no_items=%" PRIu64 " too_far_ahead=%" PRIu64 "\n",
                        st->rejected_missing_field, st->rejected_bad_quantity,
                        st->rejected_bad_price, st->rejected_too_many_items,
                        st->rejected_unknown_type, st->rejected_no_items,
                        st->rejected_too_far_ahead);
        fprintf(f, "offers by type and stage (sent / converted = rate; control withheld / "
                   "converted = rate):\n");
        uint64_t sent = 0, conv = 0;
        for (int o = 0; o < XS_OFFER_COUNT; o++)
                for (int s = 0; s < XS_STAGE_COUNT; s++) {
                        if (!st->offers[o][s] && !st->control_offers[o][s])
                                continue;
                        sent += st->offers[o][s];
                        conv += st->conversions[o][s];
                        fprintf(f,
                                "  %-10s %-15s %8" PRIu64 " / %6" PRIu64
                                " = %5.2f%%   control %6" PRIu64 " / %5" PRIu64 " = %5.2f%%\n",
                                xs_offer_type_name(o), xs_stage_name(s), st->offers[o][s],
                                st->conversions[o][s],
                                rate(st->conversions[o][s], st->offers[o][s]),
                                st->control_offers[o][s], st->control_conversions[o][s],
                                rate(st->control_conversions[o][s], st->control_offers[o][s]));
                }
        fprintf(f, "  total %" PRIu64 " offers, %" PRIu64 " converted (%.2f%%)\n", sent, conv,
                rate(conv, sent));
        fprintf(f,
                "suppressed: caps/cooldown %" PRIu64 ", e-mail channel %" PRIu64
                ", onboarding %" PRIu64 ", repeat %" PRIu64 ", no candidate %" PRIu64 "\n",
                st->offers_suppressed_cap, st->offers_suppressed_channel,
                st->offers_suppressed_onboarding, st->offers_suppressed_repeat,
                st->offers_no_candidate);
        fprintf(f,
                "LEAD e-mail series stopped unanswered %" PRIu64 "; open offers evicted by "
                "attribution.max_pending %" PRIu64 "\n",
                st->lead_stopped, st->offers_pending_evicted);
        fprintf(f, "stage entries:");
        for (int s = 0; s < XS_STAGE_COUNT; s++)
                if (st->stage_entries[s])
                        fprintf(f, " %s=%" PRIu64, xs_stage_name(s), st->stage_entries[s]);
        fprintf(f, "\n");
        fprintf(f,
                "window: %" PRIu64 " pairs live, %" PRIu64 " panes closed, %" PRIu64
                " expired; customers %" PRIu64 " (evicted %" PRIu64 ", forgotten %" PRIu64
                "); products %" PRIu64 " (learned %" PRIu64 ")\n",
                st->pairs_live, st->panes_closed, st->panes_expired, st->customers_live,
                st->customers_evicted, st->customers_forgotten, st->catalog_products,
                st->catalog_learned);
        /* which products may be offered (PRODUCT.md §3: never unknown products) */
        if (st->catalog_records)
                fprintf(f,
                        "offerable: the %" PRIu64 " catalog products only; products seen only in "
                        "events are not offered\n",
                        st->catalog_records);
        else
                fprintf(f, "offerable: products learned from events (no catalog loaded)\n");
        fprintf(f, "memory: %" PRIu64 " bytes held, peak %" PRIu64 "\n", st->memory_bytes,
                st->memory_bytes_peak);
        if (st->memory_customers_evicted || st->memory_pairs_refused || st->memory_products_refused)
                fprintf(f,
                        "memory.budget bit: customers evicted %" PRIu64
                        ", new pairs refused %" PRIu64 ", new products refused %" PRIu64 "\n",
                        st->memory_customers_evicted, st->memory_pairs_refused,
                        st->memory_products_refused);
        if (st->pairs_cap_hits || st->basket_items_truncated || st->customers_evicted ||
            st->catalog_cap_hits || st->timers_deferred || st->forced_drains ||
            st->dedup_evictions || st->history_evictions)
                fprintf(f,
                        "caps that bit: pairs %" PRIu64 ", basket items %" PRIu64
                        ", customers %" PRIu64 ", products %" PRIu64 ", timers deferred %" PRIu64
                        ", forced drains %" PRIu64 ", dedup %" PRIu64 ", history %" PRIu64 "\n",
                        st->pairs_cap_hits, st->basket_items_truncated, st->customers_evicted,
                        st->catalog_cap_hits, st->timers_deferred, st->forced_drains,
                        st->dedup_evictions, st->history_evictions);
}

void xs_cli_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}
