/*
 * The report of `xsell evaluate` (evaluate_report.h): the protocol table (per moment and offer,
 * engine, popularity and count, bootstrap intervals), the full table per type and stage, the
 * same-moment comparison, the rules check, as markdown or JSON; and the offers file. It only
 * formats what evaluate.c measured (struct evaluate, xs_evaluate_build_report,
 * xs_evaluate_bootstrap); the definitions are in cmd_evaluate.c's top comment.
 *
 * Bounds: output proportional to the rows (EV_ROWS + 1) and, for the offers file, the
 * evaluation-period offers.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/evaluate.h"
#include "cli/cli.h"
#include "cli/evaluate_report.h"
#include "io/text.h"
#include "util/conf_int.h"
#include "util/intern.h"

/* ---- report ------------------------------------------------------------------------- */

static double ratio(uint64_t a, uint64_t b)
{
        return b ? (double)a / (double)b : 0.0;
}

static const char *const param_keys[] = {"cooc.score",
                                         "cooc.rank",
                                         "cooc.min_support",
                                         "cooc.min_score",
                                         "window.size",
                                         "window.pane",
                                         "attribution.window",
                                         "weight.view",
                                         "weight.cart",
                                         "weight.purchase",
                                         "offer.max_items",
                                         "upsell.min_ratio",
                                         "upsell.max_ratio",
                                         "downsell.min_ratio",
                                         "downsell.max_ratio",
                                         "caps.per_day",
                                         "caps.per_type_per_day",
                                         "guard.bought_horizon",
                                         "control.share",
                                         NULL};

static void row_name(int row, char *buf, size_t size)
{
        if (row == EV_ROWS)
                snprintf(buf, size, "total");
        else
                snprintf(buf, size, "%s / %s",
                         xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                         xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
}

static uint64_t rules_total(const struct evaluate *ev, int field)
{
        uint64_t n = 0;
        for (int w = 0; w < EV_N; w++)
                for (int t = 0; t < XS_OFFER_COUNT; t++)
                        n += field == 0 ? ev->e[w].rules[t].items : ev->e[w].rules[t].compliant;
        return n;
}

static const char *const ranking_name[EV_R_N] = {"engine", "popularity", "count"};

/* "0.012 [0.008, 0.016]", or "-" parts where undefined */
static void fmt_ci(char *buf, size_t size, double x, double lo, double hi)
{
        if (isnan(x))
                snprintf(buf, size, "-");
        else if (isnan(lo))
                snprintf(buf, size, "%.3f", x);
        else
                snprintf(buf, size, "%.3f [%.3f, %.3f]", x, lo, hi);
}

/* The evaluation protocol's table: per moment (stage) and offer type, each ranking's hit@1,
 * hit@3 and coverage with bootstrap intervals, then the hit@3 ratios the targets are set on. */
static void report_protocol(FILE *f, const struct evaluate *ev, const struct ev_boot_row *boot)
{
        fprintf(f,
                "Protocol table: per moment and offer, the engine, global popularity at the "
                "engine's moments and the raw-count engine, all under the engine's guardrails "
                "(one exact bought-within-guard.bought_horizon rule); [95%% interval] from %d "
                "bootstrap resamples of the customers with an offer.\n\n",
                ev->resamples);
        fprintf(f, "| moment | offer | ranking | offers | customers | coverage | hit@1 [95%%] | "
                   "hit@3 [95%%] |\n|---|---|---|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_boot_row *br = &boot[row];
                if (!br->offers[EV_R_ENGINE] && !br->offers[EV_R_COUNT] && row != EV_ROWS)
                        continue;
                for (int r = 0; r < EV_R_N; r++) {
                        char h1[64], h3[64];
                        fmt_ci(h1, sizeof(h1), ratio(br->hit1[r], br->offers[r]), br->lo1[r],
                               br->hi1[r]);
                        fmt_ci(h3, sizeof(h3), ratio(br->hit3[r], br->offers[r]), br->lo3[r],
                               br->hi3[r]);
                        if (row == EV_ROWS)
                                fprintf(f, "| **all** | **all** ");
                        else
                                fprintf(
                                    f, "| %s | %s ",
                                    xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)),
                                    xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)));
                        fprintf(f, "| %s | %" PRIu64 " | %" PRIu64 " | %.3f | %s | %s |\n",
                                ranking_name[r], br->offers[r], br->cust[r],
                                ratio(br->cust[r], ev->customers_eval), h1, h3);
                }
        }
        fprintf(f, "\nhit@3 ratios (paired: the same resampled customers):\n\n"
                   "| moment | offer | engine / popularity [95%%] | engine / count [95%%] |\n"
                   "|---|---|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_boot_row *br = &boot[row];
                if (!br->offers[EV_R_ENGINE] && row != EV_ROWS)
                        continue;
                char a[64], b[64];
                fmt_ci(a, sizeof(a), br->pop_ratio, br->pop_lo, br->pop_hi);
                fmt_ci(b, sizeof(b), br->count_ratio, br->count_lo, br->count_hi);
                if (row == EV_ROWS)
                        fprintf(f, "| **all** | **all** ");
                else
                        fprintf(f, "| %s | %s ",
                                xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)),
                                xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)));
                fprintf(f, "| %s | %s |\n", a, b);
        }
        fprintf(f, "\n");
}

void xs_evaluate_report_text(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                             const char *source, const struct ev_report_row *rep,
                             const struct ev_boot_row *boot)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "### %s\n\n", source);
        fprintf(f,
                "Learning %s .. %s (%" PRIu64 " events), evaluation %s .. %s (%" PRIu64
                " events, %" PRIu64 " customers, %" PRIu64 " orders).\n\n",
                a, b, ev->events_learn, b, c, ev->events_eval, ev->customers_eval, ev->orders_eval);
        fprintf(f, "Parameters:");
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) == XS_OK)
                        fprintf(f, " `%s=%s`", *k, v);
        }
        fprintf(f, "\n\n");
        report_protocol(f, ev, boot);
        fprintf(f, "All figures:\n\n");
        fprintf(f, "| type / stage | offers | hit@1 | hit@3 | customers | conv. | "
                   "pop. hit@1 | pop. hit@3 | count: offers | hit@1 | hit@3 | customers | conv. "
                   "|\n");
        fprintf(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                const struct ev_row *x = &rr->r[EV_ENGINE], *y = &rr->r[EV_COUNT_BASELINE];
                fprintf(f,
                        "| %s%s%s | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %" PRIu64
                        " | %.3f | %.3f | %.3f | %.3f |\n",
                        row == EV_ROWS ? "**" : "", name, row == EV_ROWS ? "**" : "", x->offers,
                        ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                        ratio(rr->cust[EV_ENGINE], ev->customers_eval), ratio(x->conv, x->offers),
                        ratio(x->pop_hit1, x->offers), ratio(x->pop_hit3, x->offers), y->offers,
                        ratio(y->hit1, y->offers), ratio(y->hit3, y->offers),
                        ratio(rr->cust[EV_COUNT_BASELINE], ev->customers_eval),
                        ratio(y->conv, y->offers));
        }
        fprintf(f,
                "\nSame moments (offers both engines made, by customer, trigger, rule, time):\n\n");
        fprintf(f, "| type / stage | moments | engine hit@1 | engine hit@3 | count hit@1 | "
                   "count hit@3 |\n|---|---:|---:|---:|---:|---:|\n");
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->matched && row != EV_ROWS)
                        continue;
                char name[64];
                row_name(row, name, sizeof(name));
                fprintf(f, "| %s | %" PRIu64 " | %.3f | %.3f | %.3f | %.3f |\n", name, rr->matched,
                        ratio(rr->m_hit1[0], rr->matched), ratio(rr->m_hit3[0], rr->matched),
                        ratio(rr->m_hit1[1], rr->matched), ratio(rr->m_hit3[1], rr->matched));
        }
        const struct ev_row *tot = &rep[EV_ROWS].r[EV_ENGINE];
        fprintf(f,
                "\nOrders with an offer: engine %.3f, count %.3f of %" PRIu64
                ". Offers whose attribution window runs past the end of the data: %.3f.\n",
                ratio(ev->e[0].orders_offered, ev->orders_eval),
                ratio(ev->e[1].orders_offered, ev->orders_eval), ev->orders_eval,
                ratio(tot->censored, tot->offers));
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f,
                "Upsell/downsell rule compliance (both engines, both periods): %" PRIu64
                " of %" PRIu64 " items (%.1f%%).\n\n",
                comp, items, items ? 100.0 * ratio(comp, items) : 100.0);
}

static void json_figures(FILE *f, const struct ev_row *x, uint64_t cust, uint64_t customers,
                         int with_pop)
{
        fprintf(f,
                "{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64 ",\"hit3\":%" PRIu64
                ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f,\"customers\":%" PRIu64
                ",\"coverage\":%.6f,\"conversions\":%" PRIu64 ",\"conversion_rate\":%.6f"
                ",\"censored\":%" PRIu64 "}",
                x->offers, x->hit1, x->hit3, ratio(x->hit1, x->offers), ratio(x->hit3, x->offers),
                cust, ratio(cust, customers), x->conv, ratio(x->conv, x->offers), x->censored);
        if (with_pop)
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        x->offers, x->pop_hit1, x->pop_hit3, ratio(x->pop_hit1, x->offers),
                        ratio(x->pop_hit3, x->offers));
}

/* a number, or null when undefined */
static void json_num(FILE *f, double x)
{
        if (isnan(x) || isinf(x))
                fprintf(f, "null");
        else
                fprintf(f, "%.6f", x);
}

static void json_protocol(FILE *f, const struct evaluate *ev, const struct ev_boot_row *boot)
{
        fprintf(f, ",\"bootstrap_resamples\":%d,\"protocol\":[", ev->resamples);
        int first = 1;
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_boot_row *br = &boot[row];
                if (!br->offers[EV_R_ENGINE] && !br->offers[EV_R_COUNT] && row != EV_ROWS)
                        continue;
                fprintf(f, "%s{", first ? "" : ",");
                first = 0;
                if (row == EV_ROWS)
                        fprintf(f, "\"type\":\"TOTAL\",\"stage\":\"TOTAL\"");
                else
                        fprintf(f, "\"type\":\"%s\",\"stage\":\"%s\"",
                                xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                                xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
                for (int r = 0; r < EV_R_N; r++) {
                        fprintf(f,
                                ",\"%s\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                                ",\"hit3\":%" PRIu64 ",\"customers\":%" PRIu64 ",\"coverage\":",
                                ranking_name[r], br->offers[r], br->hit1[r], br->hit3[r],
                                br->cust[r]);
                        json_num(f, ratio(br->cust[r], ev->customers_eval));
                        fprintf(f, ",\"hit_rate_1\":");
                        json_num(f, ratio(br->hit1[r], br->offers[r]));
                        fprintf(f, ",\"hit_rate_1_ci\":[");
                        json_num(f, br->lo1[r]);
                        fprintf(f, ",");
                        json_num(f, br->hi1[r]);
                        fprintf(f, "],\"hit_rate_3\":");
                        json_num(f, ratio(br->hit3[r], br->offers[r]));
                        fprintf(f, ",\"hit_rate_3_ci\":[");
                        json_num(f, br->lo3[r]);
                        fprintf(f, ",");
                        json_num(f, br->hi3[r]);
                        fprintf(f, "]}");
                }
                fprintf(f, ",\"hit3_engine_over_popularity\":");
                json_num(f, br->pop_ratio);
                fprintf(f, ",\"hit3_engine_over_popularity_ci\":[");
                json_num(f, br->pop_lo);
                fprintf(f, ",");
                json_num(f, br->pop_hi);
                fprintf(f, "],\"hit3_engine_over_count\":");
                json_num(f, br->count_ratio);
                fprintf(f, ",\"hit3_engine_over_count_ci\":[");
                json_num(f, br->count_lo);
                fprintf(f, ",");
                json_num(f, br->count_hi);
                fprintf(f, "]}");
        }
        fprintf(f, "]");
}

void xs_evaluate_report_json(FILE *f, struct evaluate *ev, const struct xs_conf *conf,
                             const char *source, const struct ev_report_row *rep,
                             const struct ev_boot_row *boot)
{
        char a[32], b[32], c[32];
        xs_io_format_utc(ev->t_min, a, sizeof(a));
        xs_io_format_utc(ev->split, b, sizeof(b));
        xs_io_format_utc(ev->t_max, c, sizeof(c));
        fprintf(f, "{\"source\":");
        xs_cli_json_string(f, source);
        fprintf(f,
                ",\"start\":\"%s\",\"split\":\"%s\",\"end\":\"%s\",\"split_ms\":%" PRId64
                ",\"events_learning\":%" PRIu64 ",\"events_evaluation\":%" PRIu64
                ",\"customers_evaluation\":%" PRIu64 ",\"orders_evaluation\":%" PRIu64
                ",\"orders_offered\":{\"engine\":%" PRIu64 ",\"count\":%" PRIu64
                "},\"parameters\":{",
                a, b, c, ev->split, ev->events_learn, ev->events_eval, ev->customers_eval,
                ev->orders_eval, ev->e[0].orders_offered, ev->e[1].orders_offered);
        int first = 1;
        for (const char *const *k = param_keys; *k; k++) {
                char v[64];
                if (xs_conf_get(conf, *k, v, sizeof(v)) != XS_OK)
                        continue;
                fprintf(f, "%s\"%s\":", first ? "" : ",", *k);
                xs_cli_json_string(f, v);
                first = 0;
        }
        fprintf(f, "},\"rows\":[");
        first = 1;
        for (int row = 0; row <= EV_ROWS; row++) {
                const struct ev_report_row *rr = &rep[row];
                if (!rr->r[0].offers && !rr->r[1].offers && row != EV_ROWS)
                        continue;
                fprintf(f, "%s{", first ? "" : ",");
                first = 0;
                if (row == EV_ROWS)
                        fprintf(f, "\"type\":\"TOTAL\",\"stage\":\"TOTAL\"");
                else
                        fprintf(f, "\"type\":\"%s\",\"stage\":\"%s\"",
                                xs_offer_type_name((enum xs_offer_type)(row / XS_STAGE_COUNT)),
                                xs_stage_name((enum xs_stage)(row % XS_STAGE_COUNT)));
                fprintf(f, ",\"engine\":");
                json_figures(f, &rr->r[EV_ENGINE], rr->cust[EV_ENGINE], ev->customers_eval, 0);
                fprintf(f,
                        ",\"popularity\":{\"offers\":%" PRIu64 ",\"hit1\":%" PRIu64
                        ",\"hit3\":%" PRIu64 ",\"hit_rate_1\":%.6f,\"hit_rate_3\":%.6f}",
                        rr->r[0].offers, rr->r[0].pop_hit1, rr->r[0].pop_hit3,
                        ratio(rr->r[0].pop_hit1, rr->r[0].offers),
                        ratio(rr->r[0].pop_hit3, rr->r[0].offers));
                fprintf(f, ",\"count\":");
                json_figures(f, &rr->r[EV_COUNT_BASELINE], rr->cust[EV_COUNT_BASELINE],
                             ev->customers_eval, 0);
                fprintf(f,
                        ",\"same_moments\":{\"n\":%" PRIu64 ",\"engine_hit1\":%" PRIu64
                        ",\"engine_hit3\":%" PRIu64 ",\"count_hit1\":%" PRIu64
                        ",\"count_hit3\":%" PRIu64 "}}",
                        rr->matched, rr->m_hit1[0], rr->m_hit3[0], rr->m_hit1[1], rr->m_hit3[1]);
        }
        fprintf(f, "],\"rules\":{");
        for (int w = 0; w < EV_N; w++) {
                fprintf(f, "%s\"%s\":{", w ? "," : "", w ? "count" : "engine");
                for (int t = XS_OFFER_UPSELL; t < XS_OFFER_COUNT; t++) {
                        const struct ev_rules *r = &ev->e[w].rules[t];
                        fprintf(f,
                                "%s\"%s\":{\"items\":%" PRIu64 ",\"compliant\":%" PRIu64
                                ",\"no_anchor\":%" PRIu64 ",\"share\":%.6f}",
                                t == XS_OFFER_UPSELL ? "" : ",",
                                xs_offer_type_name((enum xs_offer_type)t), r->items, r->compliant,
                                r->no_anchor, r->items ? ratio(r->compliant, r->items) : 1.0);
                }
                fprintf(f, "}");
        }
        uint64_t items = rules_total(ev, 0), comp = rules_total(ev, 1);
        fprintf(f, ",\"items\":%" PRIu64 ",\"compliant\":%" PRIu64 ",\"share\":%.6f}", items, comp,
                items ? ratio(comp, items) : 1.0);
        json_protocol(f, ev, boot);
        fprintf(f, "}\n");
}

/* Every evaluated offer as a JSON line: which ranking, whom, what, and what hit. */
int xs_evaluate_write_offers(struct evaluate *ev, const char *path)
{
        FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
        if (!f) {
                fprintf(stderr, "xsell evaluate: %s: cannot open\n", path);
                return -1;
        }
        for (int w = 0; w < EV_N; w++)
                for (size_t i = 0; i < ev->e[w].n_offers; i++) {
                        const struct ev_offer *eo = &ev->e[w].offers[i];
                        fprintf(f, "{\"ranking\":\"%s\",\"customer_id\":", w ? "count" : "engine");
                        xs_cli_json_string(f, xs_intern_str(ev->customers, eo->cust));
                        fprintf(f,
                                ",\"type\":\"%s\",\"stage\":\"%s\",\"created_at\":%" PRId64
                                ",\"items\":[",
                                xs_offer_type_name((enum xs_offer_type)eo->type),
                                xs_stage_name((enum xs_stage)eo->stage), eo->created_at);
                        for (uint8_t k = 0; k < eo->n; k++) {
                                fprintf(f, k ? "," : "");
                                xs_cli_json_string(f, xs_intern_str(ev->products, eo->items[k]));
                        }
                        fprintf(f, "],\"anchor\":");
                        if (eo->anchor)
                                xs_cli_json_string(f, xs_intern_str(ev->products, eo->anchor));
                        else
                                fprintf(f, "null");
                        fprintf(f, ",\"hit1\":%s,\"hit3\":%s",
                                eo->flags & F_HIT1 ? "true" : "false",
                                eo->flags & F_HIT3 ? "true" : "false");
                        if (w == EV_ENGINE) {
                                fprintf(f, ",\"popularity\":[");
                                for (uint8_t k = 0; k < eo->pn; k++) {
                                        fprintf(f, k ? "," : "");
                                        xs_cli_json_string(f,
                                                           xs_intern_str(ev->products, eo->pop[k]));
                                }
                                fprintf(f, "],\"popularity_hit1\":%s,\"popularity_hit3\":%s",
                                        eo->flags & F_POP_HIT1 ? "true" : "false",
                                        eo->flags & F_POP_HIT3 ? "true" : "false");
                        }
                        fprintf(f, "}\n");
                }
        int bad = ferror(f);
        if (f != stdout)
                bad |= fclose(f) != 0;
        if (bad)
                fprintf(stderr, "xsell evaluate: %s: write failed\n", path);
        return bad ? -1 : 0;
}
