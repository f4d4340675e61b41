/*
 * `xsell generate`: writes synthetic customer events (and optionally the catalog they refer
 * to) from the seeded generator of gen.h. Same arguments, same bytes. Events go to -o FILE or
 * stdout; progress (every second, for runs longer than that) and the summary go to stderr.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "io/gen.h"
#include "xsell/io.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: xsell generate [options]\n"
                   "  --seed N              random seed (default 1)\n"
                   "  --customers N         customers (default 10000)\n"
                   "  --products N          products (default 2000)\n"
                   "  --categories N        categories, at most 1000 (default 24)\n"
                   "  --days N              days the events are spread over (default 30)\n"
                   "  --events N            number of events (default 100000)\n"
                   "  --format F            jsonl, avro or rees46 (default jsonl)\n"
                   "  --catalog FILE        also write the catalog (products, then tombstones)\n"
                   "  --catalog-format F    jsonl or avro (default: from FILE's name, else jsonl)\n"
                   "  -o, --output FILE     events to FILE (default -, stdout)\n"
                   "  -h, --help            this text\n");
}

static int parse_u64(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
        char *end;
        errno = 0;
        if (!s || !*s || *s == '-') {
                fprintf(stderr, "xsell generate: %s needs a number\n", opt);
                return -1;
        }
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > max) {
                fprintf(stderr, "xsell generate: %s: \"%s\" is not a number in 0..%llu\n", opt, s,
                        (unsigned long long)max);
                return -1;
        }
        *out = v;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_catalog(const struct xs_gen *gen, const char *path, enum xs_format fmt)
{
        char errstr[512];
        struct xs_writer *w = xs_writer_open(path, fmt, XS_KIND_PRODUCT, errstr, sizeof(errstr));
        if (!w) {
                fprintf(stderr, "xsell generate: %s\n", errstr);
                return -1;
        }
        size_t n = xs_gen_catalog_size(gen);
        for (size_t i = 0; i < n; i++) {
                struct xs_product p;
                int tombstone;
                xs_gen_catalog_record(gen, i, &p, &tombstone);
                if (xs_writer_product(w, &p, tombstone) != XS_OK)
                        break;
        }
        if (xs_writer_close(w, errstr, sizeof(errstr)) != XS_OK) {
                fprintf(stderr, "xsell generate: %s\n", errstr);
                return -1;
        }
        return 0;
}

int xs_cmd_generate(int argc, char **argv)
{
        struct xs_gen_conf conf;
        const char *out = "-", *catalog = NULL;
        const char *format = "jsonl", *catalog_format = NULL;
        xs_gen_conf_defaults(&conf);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                uint64_t n;
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (strcmp(a, "--seed") == 0) {
                        if (parse_u64(a, v, UINT64_MAX, &n) != 0)
                                return 2;
                        conf.seed = n;
                        i++;
                        continue;
                }
                if (strcmp(a, "--customers") == 0) {
                        if (parse_u64(a, v, 10000000, &n) != 0)
                                return 2;
                        conf.customers = (uint32_t)n;
                        i++;
                        continue;
                }
                if (strcmp(a, "--products") == 0) {
                        if (parse_u64(a, v, 10000000, &n) != 0)
                                return 2;
                        conf.products = (uint32_t)n;
                        i++;
                        continue;
                }
                if (strcmp(a, "--categories") == 0) {
                        if (parse_u64(a, v, 1000, &n) != 0)
                                return 2;
                        conf.categories = (uint32_t)n;
                        i++;
                        continue;
                }
                if (strcmp(a, "--days") == 0) {
                        if (parse_u64(a, v, 3650, &n) != 0)
                                return 2;
                        conf.days = (uint32_t)n;
                        i++;
                        continue;
                }
                if (strcmp(a, "--events") == 0) {
                        if (parse_u64(a, v, 10000000000ull, &n) != 0)
                                return 2;
                        conf.events = n;
                        i++;
                        continue;
                }
                if (v && strcmp(a, "--format") == 0) {
                        format = v;
                        i++;
                        continue;
                }
                if (v && strcmp(a, "--catalog") == 0) {
                        catalog = v;
                        i++;
                        continue;
                }
                if (v && strcmp(a, "--catalog-format") == 0) {
                        catalog_format = v;
                        i++;
                        continue;
                }
                if (v && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)) {
                        out = v;
                        i++;
                        continue;
                }
                fprintf(stderr, "xsell generate: unknown option or missing value: %s\n", a);
                usage(stderr);
                return 2;
        }
        int rees46 = strcmp(format, "rees46") == 0;
        int fmt = rees46 ? XS_FMT_REES46 : xs_format_parse(format);
        if (fmt != XS_FMT_JSONL && fmt != XS_FMT_AVRO && !rees46) {
                fprintf(stderr, "xsell generate: --format must be jsonl, avro or rees46\n");
                return 2;
        }
        int cfmt = XS_FMT_AUTO;
        if (catalog_format) {
                cfmt = xs_format_parse(catalog_format);
                if (cfmt != XS_FMT_JSONL && cfmt != XS_FMT_AVRO) {
                        fprintf(stderr, "xsell generate: --catalog-format must be jsonl or avro\n");
                        return 2;
                }
        }

        char errstr[512];
        int rc = 1;
        struct xs_writer *w = NULL;
        FILE *csv = NULL;
        struct xs_gen *gen = xs_gen_new(&conf, errstr, sizeof(errstr));
        if (!gen) {
                fprintf(stderr, "xsell %s\n", errstr);
                return 2;
        }
        if (catalog && write_catalog(gen, catalog, (enum xs_format)cfmt) != 0)
                goto done;
        if (rees46) {
                csv = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
                if (!csv) {
                        fprintf(stderr, "xsell generate: %s: %s\n", out, strerror(errno));
                        goto done;
                }
                if (xs_gen_write_rees46_header(csv) != 0)
                        goto write_failed;
        } else {
                w = xs_writer_open(out, (enum xs_format)fmt, XS_KIND_EVENT, errstr, sizeof(errstr));
                if (!w) {
                        fprintf(stderr, "xsell generate: %s\n", errstr);
                        goto done;
                }
        }

        double t0 = now_s(), last = t0;
        struct xs_event ev;
        uint64_t n = 0;
        while (xs_gen_next(gen, &ev)) {
                n++;
                if (rees46) {
                        if (xs_gen_write_rees46(gen, &ev, csv) != 0)
                                goto write_failed;
                } else if (xs_writer_event(w, &ev) != XS_OK) {
                        goto write_failed;
                }
                if ((n & 0xffff) == 0) {
                        double t = now_s();
                        if (t - last >= 1.0) {
                                last = t;
                                fprintf(stderr, "xsell generate: %llu / %llu events (%.0f%%)\n",
                                        (unsigned long long)n, (unsigned long long)conf.events,
                                        100.0 * (double)n / (double)conf.events);
                        }
                }
        }
        if (csv && csv != stdout) {
                int bad = ferror(csv);
                if (fclose(csv) != 0 || bad) {
                        csv = NULL;
                        goto write_failed;
                }
                csv = NULL;
        } else if (csv && (fflush(csv) != 0 || ferror(csv))) {
                goto write_failed;
        }
        if (w) {
                xs_err_t err = xs_writer_close(w, errstr, sizeof(errstr));
                w = NULL;
                if (err != XS_OK) {
                        fprintf(stderr, "xsell generate: %s\n", errstr);
                        goto done;
                }
        }
        fprintf(stderr,
                "xsell generate: %llu events in %.2f s (views %llu, carts %llu, checkouts %llu, "
                "purchases %llu)\n",
                (unsigned long long)n, now_s() - t0,
                (unsigned long long)xs_gen_count(gen, XS_EV_PRODUCT_VIEW),
                (unsigned long long)xs_gen_count(gen, XS_EV_ADD_TO_CART),
                (unsigned long long)xs_gen_count(gen, XS_EV_CHECKOUT_START),
                (unsigned long long)xs_gen_count(gen, XS_EV_PURCHASE));
        rc = 0;
        goto done;
write_failed:
        fprintf(stderr, "xsell generate: %s: write failed: %s\n", out, strerror(errno));
done:
        if (w)
                xs_writer_close(w, errstr, sizeof(errstr));
        if (csv && csv != stdout)
                fclose(csv);
        xs_gen_destroy(gen);
        return rc;
}
