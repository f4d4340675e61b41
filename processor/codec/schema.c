/*
 * Record kinds, our schema texts and writer schemas. A writer schema (ours, or one a producer
 * registered) is parsed and compiled once (xs_wschema_new), and our fields are mapped onto its
 * fields BY NAME: this is where schema evolution is decided. Extra writer fields are ignored,
 * missing ones get our defaults (written in code where fields are mapped, since avro-c drops
 * defaults), enum symbols are matched by name with unknown ones mapped to UNKNOWN, and
 * int/long, string/bytes and nullable/plain variants of a field are accepted. For events it
 * also builds the plan the fast path decodes by (decode_plan.c): the writer's fields in wire
 * order, each with the field of ours it fills.
 *
 * Bounds: our records have at most XS_WS_MAX_FIELDS fields; a plan has one entry per writer
 * field. Also here, at the bottom of the codec's calls: its error message helper and the
 * following of schema links.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_int.h"

/* Defined in the generated xs_schemas.c: the .avsc text for a schema file's basename. */
const char *xs_schema_text(const char *basename);

static const char *const kind_names[XS_KIND_COUNT] = {"event", "product", "offer", "signal",
                                                      "outcome"};
static const char *const kind_files[XS_KIND_COUNT] = {"customer_event", "catalog_product", "offer",
                                                      "journey_signal", "offer_outcome"};

const char *xs_record_kind_name(enum xs_record_kind kind)
{
        return (unsigned)kind < XS_KIND_COUNT ? kind_names[kind] : "?";
}

const char *xs_codec_schema_text(enum xs_record_kind kind)
{
        return (unsigned)kind < XS_KIND_COUNT ? xs_schema_text(kind_files[kind]) : NULL;
}

/*
 * Field tables: what we read, by name, and what a writer may send for it.
 */
enum ftype {
        FT_STRING,    /* string or bytes */
        FT_LONG,      /* long or int (promoted) */
        FT_INT,       /* int */
        FT_BOOL,      /* boolean */
        FT_ENUM,      /* enum, symbols mapped by name */
        FT_STR_ARRAY, /* array of string/bytes */
        FT_REC_ARRAY  /* array of records (line items) */
};

struct fspec {
        const char *name;
        enum ftype type;
        int has_default; /* 0: the writer must have the field */
};

static const struct fspec event_fields[EV_NFIELDS] = {
    {"event_id", FT_STRING, 0}, {"customer_id", FT_STRING, 0}, {"session_id", FT_STRING, 1},
    {"event_time", FT_LONG, 0}, {"type", FT_ENUM, 0},          {"items", FT_REC_ARRAY, 1},
    {"currency", FT_STRING, 1}, {"order_id", FT_STRING, 1},    {"offer_id", FT_STRING, 1},
};

static const struct fspec item_fields[LI_NFIELDS] = {
    {"product_id", FT_STRING, 0}, {"quantity", FT_INT, 1}, {"unit_price", FT_LONG, 1},
    {"category", FT_STRING, 1},   {"brand", FT_STRING, 1}, {"category_label", FT_STRING, 1},
};

static const struct fspec product_fields[PR_NFIELDS] = {
    {"product_id", FT_STRING, 0},  {"category", FT_STRING, 1},
    {"brand", FT_STRING, 1},       {"price", FT_LONG, 0},
    {"currency", FT_STRING, 0},    {"in_stock", FT_BOOL, 1},
    {"upgrades", FT_STR_ARRAY, 1}, {"downgrades", FT_STR_ARRAY, 1},
    {"deleted", FT_BOOL, 1},       {"category_label", FT_STRING, 1},
    {"addon", FT_STRING, 1},
};

static _Atomic uint64_t ws_next_id = 1;

avro_schema_t xs_codec_resolve(avro_schema_t s)
{
        for (int i = 0; i < 8 && s && is_avro_link(s); i++)
                s = avro_schema_link_target(s);
        return s;
}

/* 1 if a writer value of type s (not a union) can be read as t. */
static int base_compatible(avro_schema_t s, enum ftype t)
{
        s = xs_codec_resolve(s);
        if (!s)
                return 0;
        switch (t) {
        case FT_STRING:
                return is_avro_string(s) || is_avro_bytes(s);
        case FT_LONG:
                return is_avro_int64(s) || is_avro_int32(s);
        case FT_INT:
                return is_avro_int32(s);
        case FT_BOOL:
                return is_avro_boolean(s);
        case FT_ENUM:
                return is_avro_enum(s);
        case FT_STR_ARRAY: {
                if (!is_avro_array(s))
                        return 0;
                avro_schema_t items = xs_codec_resolve(avro_schema_array_items(s));
                return items && (is_avro_string(items) || is_avro_bytes(items));
        }
        case FT_REC_ARRAY: {
                if (!is_avro_array(s))
                        return 0;
                avro_schema_t items = xs_codec_resolve(avro_schema_array_items(s));
                return items && is_avro_record(items);
        }
        }
        return 0;
}

/* Checks a writer field against our spec. Scalars may come in a union whose every branch is
 * null or compatible (a null at run time is then checked per record); enums and arrays must
 * come plain. On success *base is the compatible writer type. */
static int field_compatible(avro_schema_t s, const struct fspec *f, avro_schema_t *base)
{
        s = xs_codec_resolve(s);
        if (!s)
                return 0;
        if (!is_avro_union(s)) {
                *base = s;
                return base_compatible(s, f->type);
        }
        if (f->type == FT_ENUM || f->type == FT_STR_ARRAY || f->type == FT_REC_ARRAY)
                return 0;
        size_t n = avro_schema_union_size(s);
        int matched = 0;
        for (size_t i = 0; i < n; i++) {
                avro_schema_t b = xs_codec_resolve(avro_schema_union_branch(s, (int)i));
                if (b && is_avro_null(b))
                        continue;
                if (!base_compatible(b, f->type))
                        return 0;
                *base = b;
                matched = 1;
        }
        return matched;
}

static const char *ftype_name(enum ftype t)
{
        static const char *const names[] = {
            "string", "long", "int", "boolean", "enum", "array of string", "array of records"};
        return names[t];
}

/* Maps our fields onto the writer record rec; idx[i] = writer index or -1. */
static int map_fields(avro_schema_t rec, const char *what, const struct fspec *fields, int n,
                      int *idx, avro_schema_t *bases, char *errstr, size_t errstr_size)
{
        for (int i = 0; i < n; i++) {
                int wi = avro_schema_record_field_get_index(rec, fields[i].name);
                idx[i] = wi;
                bases[i] = NULL;
                if (wi < 0) {
                        if (!fields[i].has_default) {
                                xs_set_err(errstr, errstr_size,
                                           "writer schema %s has no field \"%s\" and ours has no "
                                           "default for it",
                                           what, fields[i].name);
                                return -1;
                        }
                        continue;
                }
                avro_schema_t ftype = avro_schema_record_field_get_by_index(rec, wi);
                if (!field_compatible(ftype, &fields[i], &bases[i])) {
                        xs_set_err(errstr, errstr_size,
                                   "writer schema %s field \"%s\" is %s, expected %s%s", what,
                                   fields[i].name, ftype ? avro_schema_type_name(ftype) : "?",
                                   ftype_name(fields[i].type),
                                   fields[i].type <= FT_BOOL ? " (or a union with null)" : "");
                        return -1;
                }
        }
        return 0;
}

/* The decode plan of the compiled writer record rec, whose field idx[k] fills our field k. */
static int build_plan(const struct xs_avro_node *rec, const int *idx, int n_ours,
                      struct wfield **out, int *n_out)
{
        size_t n = rec->n;
        struct wfield *plan = calloc(n ? n : 1, sizeof(*plan));
        if (!plan)
                return -1;
        for (size_t i = 0; i < n; i++) {
                plan[i].node = rec->kid[i];
                plan[i].our = -1;
        }
        for (int k = 0; k < n_ours; k++)
                if (idx[k] >= 0 && (size_t)idx[k] < n)
                        plan[idx[k]].our = k;
        *out = plan;
        *n_out = (int)n;
        return 0;
}

/* Takes nothing from the caller; returns a new wschema the caller owns (xs_wschema_destroy). */
struct xs_wschema *xs_wschema_new(enum xs_record_kind kind, const char *json, char *errstr,
                                  size_t errstr_size)
{
        struct xs_wschema *ws = NULL;
        avro_schema_t bases[XS_WS_MAX_FIELDS];

        xs_avro_guard_init(0);
        if (kind != XS_KIND_EVENT && kind != XS_KIND_PRODUCT) {
                /* offers, signals and outcomes are only written by us */
                xs_set_err(errstr, errstr_size, "decoding %s records is not supported",
                           xs_record_kind_name(kind));
                return NULL;
        }
        if (!json) {
                xs_set_err(errstr, errstr_size, "no writer schema");
                return NULL;
        }
        ws = calloc(1, sizeof(*ws));
        if (!ws) {
                xs_set_err(errstr, errstr_size, "out of memory");
                return NULL;
        }
        ws->kind = kind;
        ws->id = atomic_fetch_add(&ws_next_id, 1);
        avro_set_error("%s", "");
        if (avro_schema_from_json_length(json, strlen(json), &ws->schema) != 0) {
                xs_set_err(errstr, errstr_size, "writer schema for %s does not parse: %s",
                           xs_record_kind_name(kind), avro_strerror());
                goto fail;
        }
        avro_schema_t rec = xs_codec_resolve(ws->schema);
        if (!rec || !is_avro_record(rec)) {
                xs_set_err(errstr, errstr_size, "writer schema for %s is not a record",
                           xs_record_kind_name(kind));
                goto fail;
        }
        if (!(ws->prog = xs_avro_compile(ws->schema))) {
                xs_set_err(errstr, errstr_size, "writer schema for %s cannot be compiled",
                           xs_record_kind_name(kind));
                goto fail;
        }
        const struct xs_avro_node *root = xs_avro_prog_root(ws->prog);
        if (kind == XS_KIND_PRODUCT) {
                if (map_fields(rec, "CatalogProduct", product_fields, PR_NFIELDS, ws->idx, bases,
                               errstr, errstr_size) != 0)
                        goto fail;
                return ws;
        }

        if (map_fields(rec, "CustomerEvent", event_fields, EV_NFIELDS, ws->idx, bases, errstr,
                       errstr_size) != 0)
                goto fail;
        for (int i = 0; i < LI_NFIELDS; i++)
                ws->sub_idx[i] = -1;
        if (ws->idx[EV_ITEMS] >= 0) {
                avro_schema_t item = xs_codec_resolve(avro_schema_array_items(bases[EV_ITEMS]));
                avro_schema_t sub_bases[XS_WS_MAX_FIELDS];
                if (map_fields(item, "LineItem", item_fields, LI_NFIELDS, ws->sub_idx, sub_bases,
                               errstr, errstr_size) != 0)
                        goto fail;
                const struct xs_avro_node *items = root->kid[ws->idx[EV_ITEMS]];
                if (items->type == AVRO_UNION || items->kid[0]->type != AVRO_RECORD ||
                    build_plan(items->kid[0], ws->sub_idx, LI_NFIELDS, &ws->item_plan,
                               &ws->n_item_plan) != 0) {
                        xs_set_err(errstr, errstr_size, "out of memory");
                        goto fail;
                }
        }
        if (build_plan(root, ws->idx, EV_NFIELDS, &ws->plan, &ws->n_plan) != 0) {
                xs_set_err(errstr, errstr_size, "out of memory");
                goto fail;
        }
        avro_schema_t en = bases[EV_TYPE];
        ws->n_enum = avro_schema_enum_number_of_symbols(en);
        ws->enum_map = calloc(ws->n_enum > 0 ? (size_t)ws->n_enum : 1, sizeof(int));
        if (!ws->enum_map) {
                xs_set_err(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (int i = 0; i < ws->n_enum; i++) {
                int t = xs_event_type_parse(avro_schema_enum_get(en, i));
                ws->enum_map[i] = t < 0 ? XS_EV_UNKNOWN : t;
        }
        return ws;
fail:
        xs_wschema_destroy(ws);
        return NULL;
}

void xs_wschema_destroy(struct xs_wschema *ws)
{
        if (!ws)
                return;
        if (ws->schema)
                avro_schema_decref(ws->schema);
        xs_avro_prog_free(ws->prog);
        free(ws->enum_map);
        free(ws->plan);
        free(ws->item_plan);
        free(ws);
}
