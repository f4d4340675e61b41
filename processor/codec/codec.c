/*
 * The Avro codec of the wire contract (PRODUCT.md §7): customer events and catalog products in,
 * events, products, offers, signals and outcomes out.
 *
 * Decoding never trusts the bytes: xs_avro_validate walks the record against the writer schema
 * first, and only then avro-c decodes it into a generic value that the codec keeps per writer
 * schema (reset, not rebuilt, per record, so the hot path does not allocate once warm). Fields
 * are then mapped BY NAME into our structs through a mapping computed once per writer schema
 * (xs_wschema_new), which is where schema evolution is decided: extra writer fields are ignored,
 * missing ones get our defaults (written here in code, since avro-c drops defaults), enum
 * symbols are matched by name with unknown ones mapped to UNKNOWN, and int/long, string/bytes and
 * nullable/plain variants of a field are accepted.
 *
 * Decoded strings live in an arena owned by the codec, sized before mapping so it never moves:
 * every string in a record costs at least one length byte, so len + 1 bytes hold all strings
 * and their NULs. Line items and product targets live in arrays owned by the codec; an array
 * never holds more entries than the record has bytes (the validator bounds every count).
 */
#include <inttypes.h>
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
    {"category", FT_STRING, 1},   {"brand", FT_STRING, 1},
};

static const struct fspec product_fields[PR_NFIELDS] = {
    {"product_id", FT_STRING, 0},  {"category", FT_STRING, 1},      {"brand", FT_STRING, 1},
    {"price", FT_LONG, 0},         {"currency", FT_STRING, 0},      {"in_stock", FT_BOOL, 1},
    {"upgrades", FT_STR_ARRAY, 1}, {"downgrades", FT_STR_ARRAY, 1}, {"deleted", FT_BOOL, 1},
};

static _Atomic uint64_t ws_next_id = 1;

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errstr, size_t errstr_size, const char *fmt, ...)
{
        if (!errstr || !errstr_size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

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
                                set_err(errstr, errstr_size,
                                        "writer schema %s has no field \"%s\" and ours has no "
                                        "default for it",
                                        what, fields[i].name);
                                return -1;
                        }
                        continue;
                }
                avro_schema_t ftype = avro_schema_record_field_get_by_index(rec, wi);
                if (!field_compatible(ftype, &fields[i], &bases[i])) {
                        set_err(errstr, errstr_size,
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
                set_err(errstr, errstr_size, "decoding %s records is not supported",
                        xs_record_kind_name(kind));
                return NULL;
        }
        if (!json) {
                set_err(errstr, errstr_size, "no writer schema");
                return NULL;
        }
        ws = calloc(1, sizeof(*ws));
        if (!ws) {
                set_err(errstr, errstr_size, "out of memory");
                return NULL;
        }
        ws->kind = kind;
        ws->id = atomic_fetch_add(&ws_next_id, 1);
        avro_set_error("%s", "");
        if (avro_schema_from_json_length(json, strlen(json), &ws->schema) != 0) {
                set_err(errstr, errstr_size, "writer schema for %s does not parse: %s",
                        xs_record_kind_name(kind), avro_strerror());
                goto fail;
        }
        avro_schema_t rec = xs_codec_resolve(ws->schema);
        if (!rec || !is_avro_record(rec)) {
                set_err(errstr, errstr_size, "writer schema for %s is not a record",
                        xs_record_kind_name(kind));
                goto fail;
        }
        if (!(ws->prog = xs_avro_compile(ws->schema))) {
                set_err(errstr, errstr_size, "writer schema for %s cannot be compiled",
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
                        set_err(errstr, errstr_size, "out of memory");
                        goto fail;
                }
        }
        if (build_plan(root, ws->idx, EV_NFIELDS, &ws->plan, &ws->n_plan) != 0) {
                set_err(errstr, errstr_size, "out of memory");
                goto fail;
        }
        avro_schema_t en = bases[EV_TYPE];
        ws->n_enum = avro_schema_enum_number_of_symbols(en);
        ws->enum_map = calloc(ws->n_enum > 0 ? (size_t)ws->n_enum : 1, sizeof(int));
        if (!ws->enum_map) {
                set_err(errstr, errstr_size, "out of memory");
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

static char encode_dummy[1];

/* Returns a new codec the caller owns (xs_codec_destroy). */
struct xs_codec *xs_codec_new(char *errstr, size_t errstr_size)
{
        struct xs_codec *codec;

        xs_avro_guard_init(0);
        codec = calloc(1, sizeof(*codec));
        if (!codec) {
                set_err(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (int k = 0; k < 2; k++) {
                codec->own[k] = xs_wschema_new((enum xs_record_kind)k,
                                               xs_codec_schema_text((enum xs_record_kind)k), errstr,
                                               errstr_size);
                if (!codec->own[k])
                        goto fail;
        }
        codec->reader = avro_reader_memory(encode_dummy, 0);
        codec->writer = avro_writer_memory(encode_dummy, sizeof(encode_dummy));
        if (!codec->reader || !codec->writer) {
                set_err(errstr, errstr_size, "out of memory");
                goto fail;
        }
        return codec;
fail:
        xs_codec_destroy(codec);
        return NULL;
}

static void slot_clear(struct decode_slot *slot)
{
        if (slot->iface) {
                avro_value_decref(&slot->value);
                avro_value_iface_decref(slot->iface);
        }
        memset(slot, 0, sizeof(*slot));
}

void xs_codec_destroy(struct xs_codec *codec)
{
        if (!codec)
                return;
        for (int i = 0; i < XS_CODEC_SLOTS; i++)
                slot_clear(&codec->slots[i]);
        for (int k = 0; k < XS_KIND_COUNT; k++) {
                if (codec->enc_value[k].iface)
                        avro_value_decref(&codec->enc_value[k]);
                if (codec->enc_iface[k])
                        avro_value_iface_decref(codec->enc_iface[k]);
                if (codec->enc_schema[k])
                        avro_schema_decref(codec->enc_schema[k]);
        }
        for (int k = 0; k < 2; k++)
                xs_wschema_destroy(codec->own[k]);
        if (codec->reader)
                avro_reader_free(codec->reader);
        if (codec->writer)
                avro_writer_free(codec->writer);
        free(codec->arena);
        free(codec->items);
        free(codec->strs);
        free(codec->raw_items);
        free(codec);
}

int xs_codec_last_tombstone(const struct xs_codec *codec)
{
        return codec->last_tombstone;
}

/* The decode value for ws, created on first use and kept (round robin over the slots). */
static avro_value_t *codec_slot(struct xs_codec *codec, const struct xs_wschema *ws, char *errstr,
                                size_t errstr_size)
{
        for (int i = 0; i < XS_CODEC_SLOTS; i++)
                if (codec->slots[i].ws_id == ws->id)
                        return &codec->slots[i].value;
        struct decode_slot *slot = &codec->slots[codec->next_slot++ % XS_CODEC_SLOTS];
        slot_clear(slot);
        slot->iface = avro_generic_class_from_schema(ws->schema);
        if (!slot->iface) {
                set_err(errstr, errstr_size, "cannot build a decoder: %s", avro_strerror());
                return NULL;
        }
        if (avro_generic_value_new(slot->iface, &slot->value) != 0) {
                avro_value_iface_decref(slot->iface);
                slot->iface = NULL;
                set_err(errstr, errstr_size, "cannot build a decoder: %s", avro_strerror());
                return NULL;
        }
        slot->ws_id = ws->id;
        return &slot->value;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
        if (need <= *cap)
                return 0;
        size_t ncap = *cap ? *cap : 16;
        while (ncap < need)
                ncap *= 2;
        void *np = realloc(*p, ncap * elem);
        if (!np)
                return -1;
        *p = np;
        *cap = ncap;
        return 0;
}

/* Validates one record of ws (the whole buffer, nothing after it) and readies the string arena
 * for it: the first step of both decoders. */
static xs_err_t codec_accept(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                             size_t len, char *errstr, size_t errstr_size)
{
        char why[256];
        size_t consumed = 0;
        const char *what = xs_record_kind_name(ws->kind);

        if (xs_avro_validate_prog(ws->prog, buf, len, &consumed, why, sizeof(why)) != 0) {
                set_err(errstr, errstr_size, "%s: %s", what, why);
                return XS_ERR_DECODE;
        }
        if (consumed != len) {
                set_err(errstr, errstr_size, "%s: %zu trailing bytes after the record", what,
                        len - consumed);
                return XS_ERR_DECODE;
        }
        /* every string costs a length byte, so len + 1 holds all strings with their NULs */
        if (grow((void **)&codec->arena, &codec->arena_cap, len + 1, 1) != 0) {
                set_err(errstr, errstr_size, "%s: out of memory", what);
                return XS_ERR_NOMEM;
        }
        codec->arena_len = 0;
        return XS_OK;
}

/* Validates and reads one record into the slot value of ws. */
static xs_err_t codec_read(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                           size_t len, avro_value_t **out, char *errstr, size_t errstr_size)
{
        avro_set_error("%s", "");
        xs_err_t err = codec_accept(codec, ws, buf, len, errstr, errstr_size);
        if (err != XS_OK)
                return err;
        avro_value_t *v = codec_slot(codec, ws, errstr, errstr_size);
        if (!v)
                return XS_ERR_NOMEM;
        avro_value_reset(v);
        avro_reader_memory_set_source(codec->reader, buf, (int64_t)len);
        if (avro_value_read(codec->reader, v) != 0) {
                set_err(errstr, errstr_size, "%s: avro-c cannot decode validated bytes: %s",
                        xs_record_kind_name(ws->kind), avro_strerror());
                /* the value may be half built; reset it so nothing of it is reused */
                avro_value_reset(v);
                return XS_ERR_DECODE;
        }
        *out = v;
        codec->live = v;
        return XS_OK;
}

/* Everything decoded was copied into the arena and the codec's arrays, so the avro-c value can
 * give back its per-record memory at once (it keeps its containers for the next record). */
static xs_err_t codec_done(struct xs_codec *codec, xs_err_t err)
{
        if (codec->live) {
                avro_value_reset(codec->live);
                codec->live = NULL;
        }
        return err;
}

/* Follows union branches to the value itself. */
static avro_type_t unwrap(avro_value_t *v)
{
        for (int i = 0; i < 4 && avro_value_get_type(v) == AVRO_UNION; i++) {
                avro_value_t branch;
                if (avro_value_get_current_branch(v, &branch) != 0)
                        return AVRO_NULL;
                *v = branch;
        }
        return avro_value_get_type(v);
}

/* Field idx of rec (writer index, -1: absent) into *out, unwrapped. 0: absent or null. */
static int field(avro_value_t *rec, int idx, avro_value_t *out)
{
        if (idx < 0 || avro_value_get_by_index(rec, (size_t)idx, out, NULL) != 0)
                return 0;
        return unwrap(out) != AVRO_NULL;
}

/* A decoded avro-c value (not a union) as a raw field. -1 if avro-c cannot give it. */
static int raw_value(avro_value_t *v, struct raw *r)
{
        memset(r, 0, sizeof(*r));
        switch (avro_value_get_type(v)) {
        case AVRO_STRING: {
                const char *str;
                size_t n;
                if (avro_value_get_string(v, &str, &n) != 0)
                        return -1;
                r->p = str;
                r->n = n ? n - 1 : 0; /* avro-c counts the NUL */
                break;
        }
        case AVRO_BYTES: {
                const void *bytes;
                if (avro_value_get_bytes(v, &bytes, &r->n) != 0)
                        return -1;
                r->p = bytes;
                break;
        }
        case AVRO_INT32: {
                int32_t i;
                if (avro_value_get_int(v, &i) != 0)
                        return -1;
                r->v = i;
                break;
        }
        case AVRO_INT64:
                if (avro_value_get_long(v, &r->v) != 0)
                        return -1;
                break;
        case AVRO_BOOLEAN: {
                int b;
                if (avro_value_get_boolean(v, &b) != 0)
                        return -1;
                r->v = b != 0;
                break;
        }
        case AVRO_ENUM: {
                int sym;
                if (avro_value_get_enum(v, &sym) != 0)
                        return -1;
                r->v = sym;
                break;
        }
        default:
                return -1;
        }
        r->present = 1;
        return 0;
}

/* Field idx of rec as a raw field (not present when absent or null). */
static int raw_field(avro_value_t *rec, int idx, struct raw *r)
{
        avro_value_t v;
        if (!field(rec, idx, &v)) {
                memset(r, 0, sizeof(*r));
                return 0;
        }
        return raw_value(&v, r);
}

/*
 * Mapping raw fields into our structs, shared by both decoders: this is where our defaults and
 * the contract checks (required ids, no NUL bytes, currency length) are applied.
 */
struct mapctx {
        struct xs_codec *codec;
        const char *what;
        char *errstr;
        size_t errstr_size;
};

/* n bytes copied into the arena with a NUL; NULL if it has no room (not for validated bytes:
 * the arena is sized by the record). */
static char *arena_copy(struct xs_codec *c, const char *p, size_t n)
{
        if (c->arena_len + n + 1 > c->arena_cap)
                return NULL;
        char *dst = c->arena + c->arena_len;
        if (n)
                memcpy(dst, p, n);
        dst[n] = '\0';
        c->arena_len += n + 1;
        return dst;
}

/* A string or bytes field into the arena, NUL-terminated; *out NULL when absent or null. */
static xs_err_t raw_str(struct mapctx *m, const struct raw *r, const char *name, int required,
                        const char **out)
{
        *out = NULL;
        if (!r->present) {
                if (required) {
                        set_err(m->errstr, m->errstr_size, "%s: %s is missing or null", m->what,
                                name);
                        return XS_ERR_INVALID;
                }
                return XS_OK;
        }
        if (r->n && memchr(r->p, 0, r->n)) {
                set_err(m->errstr, m->errstr_size, "%s: %s contains a NUL byte", m->what, name);
                return XS_ERR_INVALID;
        }
        if (!(*out = arena_copy(m->codec, r->p, r->n))) {
                set_err(m->errstr, m->errstr_size, "%s: string arena overflow", m->what);
                return XS_ERR_DECODE;
        }
        return XS_OK;
}

static xs_err_t raw_id(struct mapctx *m, const struct raw *r, const char *name, const char **out)
{
        xs_err_t err = raw_str(m, r, name, 1, out);
        if (err == XS_OK && !**out) {
                set_err(m->errstr, m->errstr_size, "%s: %s is empty", m->what, name);
                return XS_ERR_INVALID;
        }
        return err;
}

static xs_err_t raw_currency(struct mapctx *m, const struct raw *r, int required,
                             char cur[XS_CURRENCY_LEN])
{
        const char *s;
        xs_err_t err = raw_str(m, r, "currency", required, &s);
        cur[0] = '\0';
        if (err != XS_OK || !s)
                return err;
        if (strlen(s) >= XS_CURRENCY_LEN) {
                set_err(m->errstr, m->errstr_size,
                        "%s: currency \"%.16s\" is longer than %d characters", m->what, s,
                        XS_CURRENCY_LEN - 1);
                return XS_ERR_INVALID;
        }
        strcpy(cur, s);
        return XS_OK;
}

/* An event from its raw fields f and its n line items (LI_NFIELDS raw fields each in
 * codec->raw_items). */
static xs_err_t map_event(struct xs_codec *codec, const struct xs_wschema *ws, const struct raw *f,
                          size_t n, struct xs_event *out, char *errstr, size_t errstr_size)
{
        struct mapctx m = {codec, "event", errstr, errstr_size};
        xs_err_t err;
        if ((err = raw_id(&m, &f[EV_EVENT_ID], "event_id", &out->event_id)) ||
            (err = raw_id(&m, &f[EV_CUSTOMER_ID], "customer_id", &out->customer_id)) ||
            (err = raw_str(&m, &f[EV_SESSION_ID], "session_id", 0, &out->session_id)) ||
            (err = raw_str(&m, &f[EV_ORDER_ID], "order_id", 0, &out->order_id)) ||
            (err = raw_str(&m, &f[EV_OFFER_ID], "offer_id", 0, &out->offer_id)) ||
            (err = raw_currency(&m, &f[EV_CURRENCY], 0, out->currency)))
                return err;
        if (!f[EV_EVENT_TIME].present) {
                set_err(errstr, errstr_size, "event: event_time is null");
                return XS_ERR_INVALID;
        }
        out->event_time = f[EV_EVENT_TIME].v;
        out->type = XS_EV_UNKNOWN;
        if (f[EV_TYPE].present && f[EV_TYPE].v >= 0 && f[EV_TYPE].v < ws->n_enum)
                out->type = (enum xs_event_type)ws->enum_map[f[EV_TYPE].v];
        if (grow((void **)&codec->items, &codec->items_cap, n, sizeof(*codec->items)) != 0) {
                set_err(errstr, errstr_size, "event: out of memory for %zu items", n);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                struct xs_line_item *it = &codec->items[i];
                const struct raw *r = codec->raw_items + i * LI_NFIELDS;
                memset(it, 0, sizeof(*it));
                if ((err = raw_id(&m, &r[LI_PRODUCT_ID], "items.product_id", &it->product_id)) ||
                    (err = raw_str(&m, &r[LI_CATEGORY], "items.category", 0, &it->category)) ||
                    (err = raw_str(&m, &r[LI_BRAND], "items.brand", 0, &it->brand)))
                        return err;
                it->quantity = r[LI_QUANTITY].present ? (int32_t)r[LI_QUANTITY].v : 1;
                it->unit_price = r[LI_UNIT_PRICE].present ? r[LI_UNIT_PRICE].v : -1;
        }
        out->items = n ? codec->items : NULL;
        out->n_items = n;
        return XS_OK;
}

/* The generic decoder: avro-c reads the record, its fields become raw fields. */
static xs_err_t decode_event(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                             size_t len, struct xs_event *out, char *errstr, size_t errstr_size)
{
        avro_value_t *rec, arr;
        struct raw f[EV_NFIELDS];
        size_t n = 0;
        xs_err_t err;

        if ((err = codec_read(codec, ws, buf, len, &rec, errstr, errstr_size)) != XS_OK)
                return err;
        memset(&f[EV_ITEMS], 0, sizeof(f[EV_ITEMS])); /* the array: below */
        for (int i = 0; i < EV_NFIELDS; i++)
                if (i != EV_ITEMS && raw_field(rec, ws->idx[i], &f[i]) != 0)
                        goto unreadable;
        if (field(rec, ws->idx[EV_ITEMS], &arr) && avro_value_get_size(&arr, &n) != 0)
                n = 0;
        if (n > len) { /* the validator bounds items by bytes; this is a second check */
                set_err(errstr, errstr_size, "event: %zu items in %zu bytes", n, len);
                return XS_ERR_DECODE;
        }
        if (grow((void **)&codec->raw_items, &codec->raw_items_cap, n * LI_NFIELDS,
                 sizeof(struct raw)) != 0) {
                set_err(errstr, errstr_size, "event: out of memory for %zu items", n);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                avro_value_t item;
                if (avro_value_get_by_index(&arr, i, &item, NULL) != 0 ||
                    unwrap(&item) != AVRO_RECORD) {
                        set_err(errstr, errstr_size, "event: item %zu is not a record", i);
                        return XS_ERR_DECODE;
                }
                for (int k = 0; k < LI_NFIELDS; k++)
                        if (raw_field(&item, ws->sub_idx[k], &codec->raw_items[i * LI_NFIELDS + k]))
                                goto unreadable;
        }
        return map_event(codec, ws, f, n, out, errstr, errstr_size);
unreadable:
        set_err(errstr, errstr_size, "event: avro-c cannot give a decoded value");
        return XS_ERR_DECODE;
}

/* An array of strings (product targets) into codec->strs from index at; *n_out the count. */
static xs_err_t map_targets(struct mapctx *m, avro_value_t *rec, int idx, const char *name,
                            size_t at, size_t *n_out)
{
        avro_value_t arr, elem;
        struct raw r;
        size_t n = 0;
        *n_out = 0;
        if (!field(rec, idx, &arr) || avro_value_get_size(&arr, &n) != 0 || n == 0)
                return XS_OK;
        if (grow((void **)&m->codec->strs, &m->codec->strs_cap, at + n, sizeof(char *)) != 0) {
                set_err(m->errstr, m->errstr_size, "product: out of memory for %zu %s", n, name);
                return XS_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (avro_value_get_by_index(&arr, i, &elem, NULL) != 0 || raw_value(&elem, &r))
                        return XS_ERR_DECODE;
                char *dst = NULL;
                if ((r.n && memchr(r.p, 0, r.n)) || !(dst = arena_copy(m->codec, r.p, r.n))) {
                        set_err(m->errstr, m->errstr_size, "product: %s[%zu] is not a valid id",
                                name, i);
                        return XS_ERR_INVALID;
                }
                m->codec->strs[at + i] = dst;
        }
        *n_out = n;
        return XS_OK;
}

static xs_err_t decode_product(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                               size_t len, struct xs_product *out, char *errstr, size_t errstr_size)
{
        avro_value_t *rec;
        struct mapctx m = {codec, "product", errstr, errstr_size};
        struct raw f[PR_NFIELDS];
        xs_err_t err;

        codec->last_tombstone = 0;
        if (!ws)
                ws = codec->own[XS_KIND_PRODUCT];
        if (ws->kind != XS_KIND_PRODUCT) {
                set_err(errstr, errstr_size, "product: writer schema is for %s records",
                        xs_record_kind_name(ws->kind));
                return XS_ERR_INVALID;
        }
        memset(out, 0, sizeof(*out));
        if ((err = codec_read(codec, ws, buf, len, &rec, errstr, errstr_size)) != XS_OK)
                return err;
        for (int i = 0; i < PR_NFIELDS; i++) {
                if (i == PR_UPGRADES || i == PR_DOWNGRADES)
                        continue; /* arrays: map_targets */
                if (raw_field(rec, ws->idx[i], &f[i]) != 0) {
                        set_err(errstr, errstr_size, "product: avro-c cannot give a decoded value");
                        return XS_ERR_DECODE;
                }
        }
        int deleted = f[PR_DELETED].present && f[PR_DELETED].v;
        if ((err = raw_id(&m, &f[PR_PRODUCT_ID], "product_id", &out->product_id)) ||
            (err = raw_str(&m, &f[PR_CATEGORY], "category", 0, &out->category)) ||
            (err = raw_str(&m, &f[PR_BRAND], "brand", 0, &out->brand)) ||
            (err = raw_currency(&m, &f[PR_CURRENCY], !deleted, out->currency)))
                return err;
        if (!f[PR_PRICE].present && !deleted) {
                set_err(errstr, errstr_size, "product: price is null");
                return XS_ERR_INVALID;
        }
        if (f[PR_PRICE].present)
                out->price = f[PR_PRICE].v;
        out->in_stock = f[PR_IN_STOCK].present ? f[PR_IN_STOCK].v != 0 : 1;
        size_t nu, nd;
        if ((err = map_targets(&m, rec, ws->idx[PR_UPGRADES], "upgrades", 0, &nu)) ||
            (err = map_targets(&m, rec, ws->idx[PR_DOWNGRADES], "downgrades", nu, &nd)))
                return err;
        out->upgrades = nu ? codec->strs : NULL;
        out->n_upgrades = nu;
        out->downgrades = nd ? codec->strs + nu : NULL;
        out->n_downgrades = nd;
        codec->last_tombstone = deleted;
        return XS_OK;
}

/*
 * The fast path for events (the hot path): after xs_avro_validate has accepted the bytes, the
 * fields are read straight from them by the writer schema's plan, without avro-c's generic
 * values (which cost a dozen allocations and ~10,000 instructions per event). The fields we do
 * not use are skipped by the validator's own walker. Every read is still bounds-checked. The
 * mapping (map_event) is the generic path's; that path stays as the reference that
 * tests/fuzz/fuzz_event_decode.c compares this one against on every input.
 */
struct cursor {
        const unsigned char *b;
        size_t len, pos;
};

static int cur_varint(struct cursor *c, int64_t *out)
{
        uint64_t v = 0;
        for (int i = 0; i < 10; i++) {
                if (c->pos >= c->len)
                        return -1;
                unsigned char b = c->b[c->pos++];
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
                        return 0;
                }
        }
        return -1;
}

/* A scalar we map (string, bytes, int, long, boolean, enum, maybe in a union with null). */
static int read_scalar(struct cursor *c, const struct xs_avro_node *s, struct raw *r)
{
        int64_t v;
        r->present = 0;
        if (s->type == AVRO_UNION) {
                if (cur_varint(c, &v) != 0 || v < 0 || (uint64_t)v >= s->n)
                        return -1;
                s = s->kid[v];
        }
        switch (s->type) {
        case AVRO_NULL:
                return 0;
        case AVRO_STRING:
        case AVRO_BYTES:
                if (cur_varint(c, &v) != 0 || v < 0 || (uint64_t)v > c->len - c->pos)
                        return -1;
                r->p = (const char *)c->b + c->pos;
                r->n = (size_t)v;
                c->pos += (size_t)v;
                break;
        case AVRO_INT32:
        case AVRO_INT64:
        case AVRO_ENUM:
                if (cur_varint(c, &r->v) != 0)
                        return -1;
                break;
        case AVRO_BOOLEAN:
                if (c->pos >= c->len)
                        return -1;
                r->v = c->b[c->pos++] != 0;
                break;
        default:
                return -1;
        }
        r->present = 1;
        return 0;
}

/* The fields of one record by plan into raw[our field]; the others skipped. */
static int read_record(struct cursor *c, const struct wfield *plan, int n, struct raw *raw,
                       char *why, size_t why_size)
{
        for (int i = 0; i < n; i++) {
                if (plan[i].our >= 0) {
                        if (read_scalar(c, plan[i].node, &raw[plan[i].our]) != 0)
                                return -1;
                } else if (xs_avro_skip(plan[i].node, c->b, c->len, &c->pos, why, why_size) != 0) {
                        return -1;
                }
        }
        return 0;
}

/* The line items array: blocks of records, LI_NFIELDS raw fields each into codec->raw_items. */
static int read_items(struct xs_codec *codec, const struct xs_wschema *ws, struct cursor *c,
                      size_t *n_out, char *why, size_t why_size)
{
        size_t n = 0;
        for (;;) {
                int64_t count, block_size;
                if (cur_varint(c, &count) != 0)
                        return -1;
                if (count == 0)
                        break;
                if (count < 0) {
                        if (count == INT64_MIN || cur_varint(c, &block_size) != 0)
                                return -1;
                        count = -count;
                }
                /* an item holds a product_id string: at least one byte each */
                if ((uint64_t)count > c->len - c->pos)
                        return -1;
                if (grow((void **)&codec->raw_items, &codec->raw_items_cap,
                         (n + (size_t)count) * LI_NFIELDS, sizeof(struct raw)) != 0)
                        return -2;
                struct raw *r = codec->raw_items + n * LI_NFIELDS;
                memset(r, 0, (size_t)count * LI_NFIELDS * sizeof(*r));
                for (int64_t i = 0; i < count; i++, r += LI_NFIELDS)
                        if (read_record(c, ws->item_plan, ws->n_item_plan, r, why, why_size) != 0)
                                return -1;
                n += (size_t)count;
        }
        *n_out = n;
        return 0;
}

static xs_err_t decode_event_fast(struct xs_codec *codec, const struct xs_wschema *ws,
                                  const void *buf, size_t len, struct xs_event *out, char *errstr,
                                  size_t errstr_size)
{
        struct raw f[EV_NFIELDS];
        char why[256] = "";
        size_t n = 0;
        xs_err_t err;

        if ((err = codec_accept(codec, ws, buf, len, errstr, errstr_size)) != XS_OK)
                return err;
        memset(f, 0, sizeof(f));
        struct cursor c = {buf, len, 0};
        for (int i = 0; i < ws->n_plan; i++) {
                const struct wfield *wf = &ws->plan[i];
                int rc = wf->our == EV_ITEMS ? read_items(codec, ws, &c, &n, why, sizeof(why))
                         : wf->our >= 0
                             ? read_scalar(&c, wf->node, &f[wf->our])
                             : xs_avro_skip(wf->node, c.b, c.len, &c.pos, why, sizeof(why));
                if (rc == -2) {
                        set_err(errstr, errstr_size, "event: out of memory");
                        return XS_ERR_NOMEM;
                }
                if (rc != 0) {
                        /* cannot happen for validated bytes */
                        set_err(errstr, errstr_size, "event: cannot read validated bytes%s%s",
                                why[0] ? ": " : "", why);
                        return XS_ERR_DECODE;
                }
        }
        if (c.pos != len) {
                set_err(errstr, errstr_size, "event: cannot read validated bytes");
                return XS_ERR_DECODE;
        }
        return map_event(codec, ws, f, n, out, errstr, errstr_size);
}

/* The writer schema of an event decode (NULL: ours), or NULL when ws is for another kind. */
static const struct xs_wschema *event_ws(struct xs_codec *codec, const struct xs_wschema *ws,
                                         char *errstr, size_t errstr_size)
{
        if (!ws)
                ws = codec->own[XS_KIND_EVENT];
        if (ws->kind != XS_KIND_EVENT) {
                set_err(errstr, errstr_size, "event: writer schema is for %s records",
                        xs_record_kind_name(ws->kind));
                return NULL;
        }
        return ws;
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. */
xs_err_t xs_codec_decode_event(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                               size_t len, struct xs_event *out, char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return decode_event_fast(codec, ws, buf, len, out, errstr, errstr_size);
}

/* The same through avro-c's generic values: the reference the fast path is fuzzed against. */
xs_err_t xs_codec_decode_event_generic(struct xs_codec *codec, const struct xs_wschema *ws,
                                       const void *buf, size_t len, struct xs_event *out,
                                       char *errstr, size_t errstr_size)
{
        memset(out, 0, sizeof(*out));
        if (!(ws = event_ws(codec, ws, errstr, errstr_size)))
                return XS_ERR_INVALID;
        return codec_done(codec, decode_event(codec, ws, buf, len, out, errstr, errstr_size));
}

/* Takes nothing; *out points into codec memory, valid until the next decode on codec. Sets the
 * tombstone flag read by xs_codec_last_tombstone(). */
xs_err_t xs_codec_decode_product(struct xs_codec *codec, const struct xs_wschema *ws,
                                 const void *buf, size_t len, struct xs_product *out, char *errstr,
                                 size_t errstr_size)
{
        return codec_done(codec, decode_product(codec, ws, buf, len, out, errstr, errstr_size));
}
