/*
 * The internals of the Avro codec of the wire contract (PRODUCT.md §7): customer events and
 * catalog products in, events, products, offers, signals and outcomes out. Its files, each
 * calling only the ones below it in this list:
 *
 *   decode_plan.c     events on the hot path (xs_codec_decode_event): fields read from
 *                     validated bytes by a plan
 *   decode_generic.c  products (xs_codec_decode_product), and events for reference
 *                     (xs_codec_decode_event_generic), through avro-c's generic values
 *   decode_map.c      what all decoders share: accepting a record, mapping raw fields
 *   encode_direct.c   offers, signals and outcomes written field by field (the hot path)
 *   encode_generic.c  events and products, and the reference encoders, through avro-c
 *   codec.c           the codec: new/destroy, its decode values and growable arrays
 *   schema.c          record kinds, our schema texts, writer schemas mapped by name, plans
 *   frame.c           Confluent Schema Registry framing (calls none of the above)
 *
 * Decoding never trusts the bytes: xs_avro_validate walks the record against the writer schema
 * before either decoder reads it. Decoded records point into memory the codec owns (a string
 * arena and arrays) until the next decode on the codec.
 */
#ifndef XS_CODEC_INT_H
#define XS_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "codec/avro_guard.h"
#include "util/err.h"
#include "xsell/codec.h"

/* Our fields of each record kind, by index: the field tables of schema.c name them, the
 * decoders read raw fields into arrays in this order. */
enum {
        EV_EVENT_ID,
        EV_CUSTOMER_ID,
        EV_SESSION_ID,
        EV_EVENT_TIME,
        EV_TYPE,
        EV_ITEMS,
        EV_CURRENCY,
        EV_ORDER_ID,
        EV_OFFER_ID,
        EV_NFIELDS
};

enum {
        LI_PRODUCT_ID,
        LI_QUANTITY,
        LI_UNIT_PRICE,
        LI_CATEGORY,
        LI_BRAND,
        LI_CATEGORY_LABEL,
        LI_NFIELDS
};

enum {
        PR_PRODUCT_ID,
        PR_CATEGORY,
        PR_BRAND,
        PR_PRICE,
        PR_CURRENCY,
        PR_IN_STOCK,
        PR_UPGRADES,
        PR_DOWNGRADES,
        PR_DELETED,
        PR_CATEGORY_LABEL,
        PR_ADDON,
        PR_NFIELDS
};

#define XS_WS_MAX_FIELDS 16

/* One field of a writer record in wire order: its (resolved) schema and the field of ours it
 * fills, -1 when we skip it. */
struct wfield {
        const struct xs_avro_node *node;
        int our;
};

struct xs_wschema {
        enum xs_record_kind kind;
        uint64_t id; /* unique per process: codecs cache decode values by it */
        avro_schema_t schema;
        struct xs_avro_prog *prog;     /* the schema compiled for validation and the fast path */
        int idx[XS_WS_MAX_FIELDS];     /* our field -> writer field index, -1: absent */
        int sub_idx[XS_WS_MAX_FIELDS]; /* line item field -> writer index, -1: absent */
        int *enum_map;                 /* writer type symbol index -> enum xs_event_type */
        int n_enum;
        /* events: the writer's fields in wire order, each with the field of ours it fills */
        struct wfield *plan, *item_plan;
        int n_plan, n_item_plan;
};

/*
 * The codec.
 */
#define XS_CODEC_SLOTS 4 /* writer schemas with a live decode value per codec */

struct decode_slot {
        uint64_t ws_id; /* 0: empty */
        avro_value_iface_t *iface;
        avro_value_t value;
};

/* A field as read from the wire by the fast path, before it is mapped: a string or bytes
 * (p, n: pointing into the record) or an int, long, boolean or enum index (v). */
struct raw {
        const char *p;
        size_t n;
        int64_t v;
        int present; /* 0: absent from the writer schema, or null */
};

struct xs_codec {
        struct xs_wschema *own[2]; /* our schemas for XS_KIND_EVENT, XS_KIND_PRODUCT */
        struct decode_slot slots[XS_CODEC_SLOTS];
        unsigned next_slot;
        avro_reader_t reader;
        avro_writer_t writer;
        /* encode: our schema, its class and one value per kind */
        avro_schema_t enc_schema[XS_KIND_COUNT];
        avro_value_iface_t *enc_iface[XS_KIND_COUNT];
        avro_value_t enc_value[XS_KIND_COUNT];
        /* decoded records point into these until the next decode */
        char *arena;
        size_t arena_cap, arena_len;
        struct xs_line_item *items;
        size_t items_cap;
        const char **strs;
        size_t strs_cap;
        struct raw *raw_items; /* fast path: LI_NFIELDS raw fields per line item */
        size_t raw_items_cap;
        int last_tombstone;
        avro_value_t *live; /* the value last read into, reset once mapped */
        /* the direct encoders: our enum values -> symbol index in each output schema (-1: no
         * such symbol), worked out on first use */
        int enc_maps_ready;
        /* offer.avsc */
        int map_type[XS_OFFER_COUNT], map_stage[XS_STAGE_COUNT], map_channel[XS_CHANNEL_COUNT];
        int map_inc[XS_INC_COUNT];
        /* journey_signal.avsc */
        int sig_from[XS_STAGE_COUNT], sig_to[XS_STAGE_COUNT];
        /* offer_outcome.avsc */
        int out_type[XS_OFFER_COUNT], out_stage[XS_STAGE_COUNT];
};

/* What the mapping helpers of decode_map.c report errors with. */
struct mapctx {
        struct xs_codec *codec;
        const char *what;
        char *errstr;
        size_t errstr_size;
};

/* schema.c */
/* s with its links followed (at most 8), or NULL. */
avro_schema_t xs_codec_resolve(avro_schema_t s);

/* codec.c */
avro_value_t *xs_codec_slot(struct xs_codec *codec, const struct xs_wschema *ws, char *errstr,
                            size_t errstr_size);
/* Grows the array *p of *cap elements of elem bytes to hold need; 0, or -1 out of memory. */
int xs_codec_grow(void **p, size_t *cap, size_t need, size_t elem);

/* decode_map.c */
xs_err_t xs_codec_accept(struct xs_codec *codec, const struct xs_wschema *ws, const void *buf,
                         size_t len, char *errstr, size_t errstr_size);
char *xs_codec_arena_copy(struct xs_codec *c, const char *p, size_t n);
xs_err_t xs_codec_raw_str(struct mapctx *m, const struct raw *r, const char *name, int required,
                          const char **out);
xs_err_t xs_codec_raw_id(struct mapctx *m, const struct raw *r, const char *name, const char **out);
xs_err_t xs_codec_raw_currency(struct mapctx *m, const struct raw *r, int required,
                               char cur[XS_CURRENCY_LEN]);
xs_err_t xs_codec_map_event(struct xs_codec *codec, const struct xs_wschema *ws,
                            const struct raw *f, size_t n, struct xs_event *out, char *errstr,
                            size_t errstr_size);
/* The writer schema of an event decode (NULL: ours), or NULL with errstr when ws is for
 * another kind. */
const struct xs_wschema *xs_codec_event_ws(struct xs_codec *codec, const struct xs_wschema *ws,
                                           char *errstr, size_t errstr_size);

/* encode_generic.c */
avro_value_t *xs_codec_enc_begin(struct xs_codec *codec, enum xs_record_kind kind);

#endif
