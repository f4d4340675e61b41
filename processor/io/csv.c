/*
 * Readers of the CSV layouts of the public data sets (events only); times and prices are read
 * exactly by the text helpers (text.h).
 *
 * REES46 (header event_time,event_type,product_id,category_id,category_code,brand,price,
 * user_id,user_session): one row, one event. view/cart/remove_from_cart/purchase map to
 * PRODUCT_VIEW/ADD_TO_CART/REMOVE_FROM_CART/PURCHASE; event_id "rees46:<line>"; customer_id
 * user_id; session_id user_session; a purchase's order_id is user_session (the source says the
 * purchase rows of one session are one order); one line item (product_id, quantity 1, price in
 * cents, category category_id or else category_code, category_label category_code or NULL, brand
 * or NULL); currency USD. category_id is the finer of the two (one category_code covers several
 * category_ids), and category is the key of every same-category rule (PRODUCT.md §5).
 *
 * UCI Online Retail (header InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,
 * CustomerID,Country; plain or gzip): consecutive rows of one InvoiceNo are one PURCHASE.
 * Cancellation rows (InvoiceNo "C...") are skipped without ending the invoice around them (the
 * file has an invoice split by one). Rows skipped are returned one by one as XS_ERR_INVALID
 * with a reason word: "cancellation", "non_product" (StockCode not starting with a digit:
 * POST, DOT, M, BANK CHARGES, gift_0001_...), "quantity" (<= 0), "price" (<= 0). The same
 * StockCode twice in one invoice is one item with the quantities added.
 *
 * Groceries: one basket per line, items separated by commas, no header, no quoting; item
 * names are kept byte for byte (trailing spaces too); duplicates in a basket are dropped.
 *
 * Records are lines: a quoted field may not span lines (an unterminated quote is a decode
 * error for that line).
 */
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "io/text.h"

#define REES46_HEADER                                                                              \
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,"          \
        "user_session"
#define RETAIL_HEADER                                                                              \
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
#define MAX_FIELDS 16
#define MAX_ID     128 /* bytes of an InvoiceNo */

struct xs_csv_state {
        char event_id[64];
        char customer_id[64];
        char order_id[32];
        struct xs_line_item item; /* REES46 */
        /* retail: the invoice being collected */
        int have;
        char invoice[MAX_ID];
        const char *inv_event_id, *inv_customer, *inv_order;
        int64_t inv_time;
        uint64_t inv_line;
        /* the fields of the current line, split from a copy so a pending line stays intact */
        char *scratch;
        size_t scratch_cap;
};

/* Splits a copy of r->line (see csv_split); the fields are valid until the next line. */
static int csv_split(char *line, char **fields, int max);
static int split_line(struct xs_reader *r, char **fields, int max)
{
        struct xs_csv_state *cs = r->csv;
        if (r->line_len + 1 > cs->scratch_cap) {
                char *p = realloc(cs->scratch, r->line_len + 1);
                if (!p)
                        return -1;
                cs->scratch = p;
                cs->scratch_cap = r->line_len + 1;
        }
        memcpy(cs->scratch, r->line, r->line_len + 1);
        return csv_split(cs->scratch, fields, max);
}

/* ---- fields ---- */

static int parse_int(const char *s, int64_t *out)
{
        size_t i = 0;
        int neg = 0;
        int64_t v = 0;
        if (s[i] == '-' || s[i] == '+')
                neg = s[i++] == '-';
        if (!s[i])
                return -1;
        for (; s[i]; i++) {
                if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        *out = neg ? -v : v;
        return 0;
}

/* Splits line in place into at most max fields (RFC 4180 quoting, "" is a quote inside a
 * quoted field). Returns the field count, or -1 for an unterminated quote, text after a
 * closing quote, or more than max fields. */
static int csv_split(char *line, char **fields, int max)
{
        int nf = 0;
        char *rd = line, *wr = line;
        for (;;) {
                if (nf == max)
                        return -1;
                fields[nf++] = wr;
                if (*rd == '"') {
                        rd++;
                        for (;;) {
                                if (!*rd)
                                        return -1;
                                if (*rd == '"') {
                                        if (rd[1] == '"') {
                                                *wr++ = '"';
                                                rd += 2;
                                                continue;
                                        }
                                        rd++;
                                        break;
                                }
                                *wr++ = *rd++;
                        }
                        if (*rd != ',' && *rd != '\0')
                                return -1;
                } else {
                        while (*rd && *rd != ',')
                                *wr++ = *rd++;
                }
                if (*rd == '\0') {
                        *wr = '\0';
                        return nf;
                }
                rd++; /* the comma */
                *wr++ = '\0';
        }
}

/* ---- open / close ---- */

static int csv_open(struct xs_reader *r, char *errstr, size_t errstr_size)
{
        r->csv = calloc(1, sizeof(*r->csv));
        if (!r->csv) {
                snprintf(errstr, errstr_size, "%s: out of memory", r->name);
                return -1;
        }
        if (r->fmt == XS_FMT_GROCERIES)
                return 0;
        const char *want = r->fmt == XS_FMT_REES46 ? REES46_HEADER : RETAIL_HEADER;
        int too_long;
        int rc = xs_reader_line(r, &too_long, errstr, errstr_size);
        if (rc < 0)
                return -1;
        const char *line = rc > 0 ? r->line : "";
        if (rc > 0 && (unsigned char)line[0] == 0xef && (unsigned char)line[1] == 0xbb &&
            (unsigned char)line[2] == 0xbf)
                line += 3; /* BOM */
        if (rc == 0 || too_long || strcmp(line, want) != 0) {
                snprintf(errstr, errstr_size, "%s:1: not a %s file: the header must be \"%s\"",
                         r->name, xs_format_name(r->fmt), want);
                return -1;
        }
        return 0;
}

static void csv_close(struct xs_reader *r)
{
        if (r->csv)
                free(r->csv->scratch);
        free(r->csv);
        r->csv = NULL;
}

#define ROW_ERR(err, ...)                                                                          \
        do {                                                                                       \
                int n_ = snprintf(errstr, errstr_size, "%s:%llu: ", r->name,                       \
                                  (unsigned long long)r->line_no);                                 \
                if (n_ > 0 && (size_t)n_ < errstr_size)                                            \
                        snprintf(errstr + n_, errstr_size - (size_t)n_, __VA_ARGS__);              \
                return err;                                                                        \
        } while (0)

/* ---- REES46 ---- */

static xs_err_t rees46_row(struct xs_reader *r, struct xs_event *ev, char *errstr,
                           size_t errstr_size)
{
        struct xs_csv_state *cs = r->csv;
        char *f[MAX_FIELDS];
        int nf = split_line(r, f, MAX_FIELDS);
        if (nf != 9)
                ROW_ERR(XS_ERR_DECODE, "expected 9 fields");
        if (xs_io_parse_utc(f[0], strlen(f[0]), &ev->event_time))
                ROW_ERR(XS_ERR_DECODE, "bad event_time \"%.40s\"", f[0]);
        if (strcmp(f[1], "view") == 0)
                ev->type = XS_EV_PRODUCT_VIEW;
        else if (strcmp(f[1], "cart") == 0)
                ev->type = XS_EV_ADD_TO_CART;
        else if (strcmp(f[1], "remove_from_cart") == 0)
                ev->type = XS_EV_REMOVE_FROM_CART;
        else if (strcmp(f[1], "purchase") == 0)
                ev->type = XS_EV_PURCHASE;
        else
                ROW_ERR(XS_ERR_INVALID, "unknown event_type \"%.40s\"", f[1]);
        if (!f[2][0])
                ROW_ERR(XS_ERR_INVALID, "empty product_id");
        if (!f[7][0])
                ROW_ERR(XS_ERR_INVALID, "empty user_id");
        int64_t price;
        if (xs_io_parse_money(f[6], strlen(f[6]), &price))
                ROW_ERR(XS_ERR_DECODE, "bad price \"%.40s\"", f[6]);
        if (price < 0)
                ROW_ERR(XS_ERR_INVALID, "negative price");
        snprintf(cs->event_id, sizeof(cs->event_id), "rees46:%llu", (unsigned long long)r->line_no);
        ev->event_id = cs->event_id;
        ev->customer_id = f[7];
        ev->session_id = f[8][0] ? f[8] : NULL;
        if (ev->type == XS_EV_PURCHASE)
                ev->order_id = ev->session_id ? ev->session_id : ev->event_id;
        cs->item.product_id = f[2];
        cs->item.quantity = 1;
        cs->item.unit_price = price;
        /* the finest category is the same-category key: category_id (category_code is coarser:
         * electronics.tablet holds graphics tablets and tablet computers), the code its label */
        cs->item.category = f[3][0] ? f[3] : (f[4][0] ? f[4] : NULL);
        cs->item.category_label = f[4][0] ? f[4] : NULL;
        cs->item.brand = f[5][0] ? f[5] : NULL;
        ev->items = &cs->item;
        ev->n_items = 1;
        strcpy(ev->currency, "USD");
        return XS_OK;
}

/* ---- Groceries ---- */

static xs_err_t groceries_row(struct xs_reader *r, struct xs_event *ev, char *errstr,
                              size_t errstr_size)
{
        struct xs_csv_state *cs = r->csv;
        char *p = r->line;
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                if (*p && xs_items_find(&r->items, p) < 0) {
                        struct xs_line_item li = {p, 1, -1, NULL, NULL, NULL};
                        if (xs_items_add(&r->items, &li) < 0)
                                ROW_ERR(XS_ERR_INVALID, "more than %u items or out of memory",
                                        XS_IO_MAX_ITEMS);
                }
                if (!comma)
                        break;
                p = comma + 1;
        }
        if (r->items.n == 0)
                ROW_ERR(XS_ERR_INVALID, "empty basket");
        unsigned long long ln = (unsigned long long)r->line_no;
        snprintf(cs->event_id, sizeof(cs->event_id), "groceries:%llu", ln);
        snprintf(cs->customer_id, sizeof(cs->customer_id), "groceries:%llu", ln);
        snprintf(cs->order_id, sizeof(cs->order_id), "%llu", ln);
        ev->event_id = cs->event_id;
        ev->customer_id = cs->customer_id;
        ev->order_id = cs->order_id;
        ev->event_time = 1000000000000LL + (int64_t)r->line_no;
        ev->type = XS_EV_PURCHASE;
        ev->items = r->items.v;
        ev->n_items = r->items.n;
        return XS_OK;
}

/* ---- UCI Online Retail ---- */

/* The category heuristic: the last word of the description, trailing punctuation dropped,
 * upper-cased ("WHITE HANGING HEART T-LIGHT HOLDER" -> "HOLDER"); NULL when there is none. */
static const char *retail_category(struct xs_reader *r, const char *desc)
{
        size_t end = strlen(desc);
        while (end > 0 && !((desc[end - 1] >= 'A' && desc[end - 1] <= 'Z') ||
                            (desc[end - 1] >= 'a' && desc[end - 1] <= 'z') ||
                            (desc[end - 1] >= '0' && desc[end - 1] <= '9')))
                end--;
        size_t start = end;
        while (start > 0 && desc[start - 1] != ' ')
                start--;
        if (start == end)
                return NULL;
        char *c = xs_arena_strndup(&r->arena, desc + start, end - start);
        if (c)
                for (char *q = c; *q; q++)
                        if (*q >= 'a' && *q <= 'z')
                                *q = (char)(*q - 'a' + 'A');
        return c;
}

static void retail_emit(struct xs_reader *r, struct xs_record *rec)
{
        struct xs_csv_state *cs = r->csv;
        struct xs_event *ev = &rec->ev;
        ev->event_id = cs->inv_event_id;
        ev->customer_id = cs->inv_customer;
        ev->order_id = cs->inv_order;
        ev->event_time = cs->inv_time;
        rec->position = cs->inv_line;
        ev->type = XS_EV_PURCHASE;
        ev->items = r->items.v;
        ev->n_items = r->items.n;
        strcpy(ev->currency, "GBP");
        cs->have = 0;
}

/* Processes r->line. Returns XS_OK with *emit set when the invoice before this line is
 * complete (the line is then left pending), XS_OK when the line was added, or an error for a
 * skipped line. */
static xs_err_t retail_row(struct xs_reader *r, int *emit, char *errstr, size_t errstr_size)
{
        struct xs_csv_state *cs = r->csv;
        char *f[MAX_FIELDS];
        *emit = 0;
        int nf = split_line(r, f, MAX_FIELDS);
        if (nf != 8)
                ROW_ERR(XS_ERR_DECODE, "expected 8 fields");
        const char *inv = f[0];
        size_t inv_len = strlen(inv);
        if (inv_len == 0 || inv_len >= MAX_ID)
                ROW_ERR(XS_ERR_DECODE, "bad InvoiceNo");
        int cancel = inv[0] == 'C';
        if (cs->have && !cancel && strcmp(inv, cs->invoice) != 0) {
                *emit = 1;
                return XS_OK;
        }
        if (cancel)
                ROW_ERR(XS_ERR_INVALID, "skipped cancellation: invoice %s", inv);
        if (!(f[1][0] >= '0' && f[1][0] <= '9'))
                ROW_ERR(XS_ERR_INVALID, "skipped non_product: StockCode \"%.40s\"", f[1]);
        int64_t qty, price, t;
        if (parse_int(f[3], &qty))
                ROW_ERR(XS_ERR_DECODE, "bad Quantity \"%.40s\"", f[3]);
        if (xs_io_parse_money(f[5], strlen(f[5]), &price))
                ROW_ERR(XS_ERR_DECODE, "bad UnitPrice \"%.40s\"", f[5]);
        if (xs_io_parse_utc(f[4], strlen(f[4]), &t) && xs_io_parse_us_time(f[4], strlen(f[4]), &t))
                ROW_ERR(XS_ERR_DECODE, "bad InvoiceDate \"%.40s\"", f[4]);
        if (qty <= 0)
                ROW_ERR(XS_ERR_INVALID, "skipped quantity: %lld", (long long)qty);
        if (qty > INT32_MAX)
                ROW_ERR(XS_ERR_INVALID, "skipped quantity: %lld is absurd", (long long)qty);
        if (price <= 0)
                ROW_ERR(XS_ERR_INVALID, "skipped price: %.40s", f[5]);

        if (!cs->have) {
                /* The first kept line starts the invoice; its strings live in the arena. */
                memcpy(cs->invoice, inv, inv_len + 1);
                char buf[MAX_ID + 16];
                int n = snprintf(buf, sizeof(buf), "retail:%s", inv);
                cs->inv_event_id = xs_arena_strndup(&r->arena, buf, (size_t)n);
                cs->inv_order = xs_arena_strndup(&r->arena, inv, inv_len);
                const char *cust = f[6];
                size_t cl = strlen(cust);
                if (cl >= 2 && strcmp(cust + cl - 2, ".0") == 0)
                        cl -= 2;
                if (cl == 0) {
                        n = snprintf(buf, sizeof(buf), "guest:%s", inv);
                        cs->inv_customer = xs_arena_strndup(&r->arena, buf, (size_t)n);
                } else {
                        cs->inv_customer = xs_arena_strndup(&r->arena, cust, cl);
                }
                if (!cs->inv_event_id || !cs->inv_order || !cs->inv_customer)
                        ROW_ERR(XS_ERR_NOMEM, "out of memory");
                cs->inv_time = t;
                cs->inv_line = r->line_no;
                cs->have = 1;
        }
        if (t > cs->inv_time)
                cs->inv_time = t; /* the invoice is complete at its last line */
        long i = xs_items_find(&r->items, f[1]);
        if (i >= 0) {
                struct xs_line_item *li = &r->items.v[i];
                if ((int64_t)li->quantity + qty > INT32_MAX)
                        ROW_ERR(XS_ERR_INVALID, "skipped quantity: sum for %.40s is absurd", f[1]);
                li->quantity += (int32_t)qty;
                return XS_OK;
        }
        struct xs_line_item li = {0};
        li.product_id = xs_arena_strndup(&r->arena, f[1], strlen(f[1]));
        li.quantity = (int32_t)qty;
        li.unit_price = price;
        li.category = retail_category(r, f[2]);
        if (!li.product_id)
                ROW_ERR(XS_ERR_NOMEM, "out of memory");
        if (xs_items_add(&r->items, &li) < 0)
                ROW_ERR(XS_ERR_INVALID, "skipped items: invoice %s has more than %u lines", inv,
                        XS_IO_MAX_ITEMS);
        return XS_OK;
}

static xs_err_t csv_next(struct xs_reader *r, struct xs_record *rec, int *eof, char *errstr,
                         size_t errstr_size)
{
        for (;;) {
                int too_long = 0;
                if (r->line_pending) {
                        r->line_pending = 0;
                } else {
                        int rc = xs_reader_line(r, &too_long, errstr, errstr_size);
                        if (rc < 0)
                                return XS_ERR_IO;
                        if (rc == 0) {
                                if (r->fmt == XS_FMT_RETAIL && r->csv->have) {
                                        retail_emit(r, rec);
                                        return XS_OK;
                                }
                                *eof = 1;
                                return XS_OK;
                        }
                }
                rec->position = r->line_no;
                if (too_long)
                        ROW_ERR(XS_ERR_DECODE, "line longer than 1 MiB, skipped");
                switch (r->fmt) {
                case XS_FMT_REES46:
                        if (r->line_len == 0)
                                continue;
                        return rees46_row(r, &rec->ev, errstr, errstr_size);
                case XS_FMT_GROCERIES:
                        if (r->line_len == 0)
                                ROW_ERR(XS_ERR_INVALID, "empty basket");
                        return groceries_row(r, &rec->ev, errstr, errstr_size);
                default: {
                        if (r->line_len == 0)
                                continue;
                        int emit;
                        xs_err_t err = retail_row(r, &emit, errstr, errstr_size);
                        if (err != XS_OK)
                                return err;
                        if (emit) {
                                r->line_pending = 1;
                                retail_emit(r, rec);
                                return XS_OK;
                        }
                        continue;
                }
                }
        }
}

const struct xs_format_ops xs_csv_format = {csv_open, csv_next, csv_close};
