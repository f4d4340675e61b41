/*
 * `xsell pairs`: the products most related to one product (or to every product), with the
 * counts and scores behind them. By default the window is unbounded (all-time counts), so on a
 * basket file the order view reproduces the exact pair supports of association-rule mining.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "util/conf_int.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: xsell pairs [options] EVENTS\n"
                "Counts co-occurrence over EVENTS and prints the top related products.\n\n"
                "  -f, --format FMT      events format (auto, avro, jsonl, rees46, retail,\n"
                "                        groceries)\n"
                "  -c, --catalog FILE    catalog file (categories for the complement view)\n"
                "  -p, --product ID      only this product (default: every product)\n"
                "  -k, --top K           related products per product (default 10)\n"
                "  -v, --view VIEW       order (same order, association-rule statistics),\n"
                "                        complement (cross-sell score) or alternative (co-views,\n"
                "                        upsell/downsell ranking); default order\n"
                "  -m, --min-count N     only pairs seen together at least N times (default 1)\n"
                "      --windowed        use the configured sliding window instead of all time\n"
                "  -F, --config FILE     properties file;  -X key=value  configuration\n"
                "  -h, --help\n"
                "Output: tab-separated, one line per pair, with a header:\n"
                "  product related count support_product support_related transactions\n"
                "  confidence lift llr\n"
                "(order view: support = orders holding the product, transactions = orders,\n"
                "confidence = count / support_product; complement view: the same transaction\n"
                "table summed over the relations with weight.* (orders, customer episodes,\n"
                "carts, view-buy purchases), llr divided by the sum of the weights;\n"
                "alternative view: weighted pair-mass row totals.) On stderr: the caps that\n"
                "bit (none by default: the counts are exact).\n");
}

struct pairs_ctx {
        struct xs_engine *eng;
        enum xs_score_view view;
        size_t top;
        int64_t min_count;
        struct xs_related *buf;
        size_t cap;
        uint64_t lines;
        int oom;
};

/* The related products of product, best first; with --min-count, enough of them that the top
 * K passing the filter are among them (the buffer grows until the filter has K or the list
 * is complete). Returns how many are in ctx->buf, or (size_t)-1 out of memory. */
static size_t related(struct pairs_ctx *ctx, const char *product)
{
        for (;;) {
                size_t n = xs_engine_related(ctx->eng, product, ctx->view, ctx->buf, ctx->cap);
                if (n < ctx->cap || ctx->min_count <= 1)
                        return n;
                size_t pass = 0;
                for (size_t i = 0; i < n; i++)
                        pass += ctx->buf[i].evidence.k11 >= ctx->min_count;
                if (pass >= ctx->top)
                        return n;
                size_t cap = ctx->cap * 2;
                struct xs_related *buf = realloc(ctx->buf, cap * sizeof(*buf));
                if (!buf)
                        return (size_t)-1;
                ctx->buf = buf;
                ctx->cap = cap;
        }
}

static void print_product(void *opaque, const char *product)
{
        struct pairs_ctx *ctx = opaque;
        size_t n = related(ctx, product);
        if (n == (size_t)-1) {
                ctx->oom = 1;
                return;
        }
        size_t printed = 0;
        for (size_t i = 0; i < n && printed < ctx->top; i++) {
                const struct xs_related *r = &ctx->buf[i];
                const struct xs_evidence *e = &r->evidence;
                if (e->k11 < ctx->min_count)
                        continue;
                int64_t sa = e->k11 + e->k12, sb = e->k11 + e->k21;
                int64_t n_tx = e->k11 + e->k12 + e->k21 + e->k22;
                printf("%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                       "\t%.6f\t%.6f\t%.4f\n",
                       product, r->product_id, e->k11, sa, sb, n_tx,
                       sa ? (double)e->k11 / (double)sa : 0.0, e->lift, e->llr);
                printed++;
                ctx->lines++;
        }
}

int xs_cmd_pairs(int argc, char **argv)
{
        static const struct option opts[] = {
            {"format", required_argument, 0, 'f'},  {"catalog", required_argument, 0, 'c'},
            {"product", required_argument, 0, 'p'}, {"top", required_argument, 0, 'k'},
            {"view", required_argument, 0, 'v'},    {"min-count", required_argument, 0, 'm'},
            {"windowed", no_argument, 0, 1},        {"config", required_argument, 0, 'F'},
            {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
        struct xs_cli_conf cc = {0};
        const char *catalog = NULL, *product = NULL;
        int fmt = XS_FMT_AUTO, windowed = 0, opt;
        size_t top = 10;
        int64_t min_count = 1;
        enum xs_score_view view = XS_SCORE_ORDER;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "f:c:p:k:v:m:F:X:h", opts, NULL)) != -1) {
                switch (opt) {
                case 'f':
                        if (xs_cli_format_opt("pairs", optarg, &fmt) != 0)
                                return 2;
                        break;
                case 'c':
                        catalog = optarg;
                        break;
                case 'p':
                        product = optarg;
                        break;
                case 'k':
                        top = strtoull(optarg, NULL, 10);
                        if (top == 0 || top > 100000) {
                                fprintf(stderr, "xsell pairs: --top: 1..100000\n");
                                return 2;
                        }
                        break;
                case 'v':
                        if (!strcmp(optarg, "order"))
                                view = XS_SCORE_ORDER;
                        else if (!strcmp(optarg, "complement"))
                                view = XS_SCORE_COMPLEMENT;
                        else if (!strcmp(optarg, "alternative"))
                                view = XS_SCORE_ALTERNATIVE;
                        else {
                                fprintf(stderr, "xsell pairs: --view: order, complement or "
                                                "alternative\n");
                                return 2;
                        }
                        break;
                case 'm':
                        min_count = strtoll(optarg, NULL, 10);
                        break;
                case 1:
                        windowed = 1;
                        break;
                case 'F':
                case 'X':
                        if (xs_cli_conf_opt(&cc, opt, optarg) != 0)
                                return 2;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        /* all time and exact: no cap bites on the shared data sets (the summary on stderr
         * says when one does) */
        const char *extra_all[] = {"window.unbounded=true",
                                   "cooc.max_basket_items=65535",
                                   "cooc.max_pairs=2000000000",
                                   "cooc.max_history=4096",
                                   "event.max_items=1000000",
                                   "event.max_quantity=1000000000",
                                   "event.max_unit_price=4000000000000000000",
                                   "dedup.capacity=0",
                                   NULL};
        struct xs_conf *conf = xs_cli_conf_build(&cc, windowed ? NULL : extra_all);
        if (!conf)
                return 2;
        char err[512];
        int rc = 1;
        struct xs_reader *rd = NULL;
        struct pairs_ctx ctx = {.view = view, .top = top, .min_count = min_count};
        ctx.eng = xs_engine_new(conf, NULL, err, sizeof(err));
        if (!ctx.eng) {
                fprintf(stderr, "xsell pairs: %s\n", err);
                goto out;
        }
        if (catalog && xs_cli_load_catalog(ctx.eng, catalog, XS_FMT_AUTO, NULL, NULL, 1) != 0)
                goto out;
        rd = xs_reader_open(argv[optind], (enum xs_format)fmt, XS_KIND_EVENT, err, sizeof(err));
        if (!rd) {
                fprintf(stderr, "xsell pairs: %s\n", err);
                goto out;
        }
        uint64_t records = 0, bad = 0;
        int64_t max_t = INT64_MIN;
        for (;;) {
                struct xs_record rec;
                int eof = 0;
                xs_err_t e = xs_reader_next(rd, &rec, &eof, err, sizeof(err));
                if (e == XS_ERR_IO) {
                        fprintf(stderr, "xsell pairs: %s\n", err);
                        goto out;
                }
                if (e != XS_OK) {
                        bad++;
                        continue;
                }
                if (eof)
                        break;
                records++;
                if (xs_engine_process(ctx.eng, &rec.ev, err, sizeof(err)) != XS_OK)
                        bad++;
                else if (rec.ev.event_time > max_t)
                        max_t = rec.ev.event_time; /* accepted events only: 1..XS_MAX_TIME */
        }
        /* end of input: close every pane. All time: move far ahead. Windowed: only by the
         * allowed lateness, so the last window's panes close but do not expire. */
        if (max_t != INT64_MIN)
                xs_engine_advance(ctx.eng, windowed ? max_t + xs_conf_params(conf)->allowed_lateness
                                                    : max_t + 366 * 86400000LL);
        ctx.cap = top + 1024;
        ctx.buf = calloc(ctx.cap, sizeof(*ctx.buf));
        if (!ctx.buf)
                goto out;
        printf("product\trelated\tcount\tsupport_product\tsupport_related\ttransactions\t"
               "confidence\tlift\tllr\n");
        if (product)
                print_product(&ctx, product);
        else
                xs_engine_foreach_product(ctx.eng, print_product, &ctx);
        if (ctx.oom) {
                fprintf(stderr, "xsell pairs: out of memory\n");
                goto out;
        }
        fprintf(stderr,
                "xsell pairs: %" PRIu64 " records (%" PRIu64 " rejected), %" PRIu64 " lines\n",
                records, bad, ctx.lines);
        struct xs_stats st;
        xs_engine_stats(ctx.eng, &st);
        fprintf(stderr,
                "xsell pairs: caps: pairs dropped %" PRIu64 " (cooc.max_pairs), basket items "
                "not paired %" PRIu64 " (cooc.max_basket_items), history evictions %" PRIu64
                " (cooc.max_history), pairs dropped %" PRIu64 " and products dropped %" PRIu64
                " (memory.budget)%s\n",
                st.pairs_cap_hits, st.basket_items_truncated, st.history_evictions,
                st.memory_pairs_refused, st.memory_products_refused,
                st.pairs_cap_hits || st.basket_items_truncated || st.memory_pairs_refused ||
                        st.memory_products_refused
                    ? ": counts are NOT exact"
                    : "");
        rc = 0;
out:
        free(ctx.buf);
        xs_reader_close(rd);
        xs_engine_destroy(ctx.eng);
        xs_conf_destroy(conf);
        return rc;
}
