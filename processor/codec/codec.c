/*
 * The codec: one per thread, it owns what decoding and encoding reuse from record to record.
 * The generic decoder keeps one avro-c value per writer schema (XS_CODEC_SLOTS of them, round
 * robin), reset, not rebuilt, per record, so decoding does not allocate once warm; the string
 * arena and the arrays decoded records point into only grow (doubling, to the largest record
 * seen); the encode values of our schemas are built on first use (encode_generic.c).
 */
#include <stdlib.h>
#include <string.h>

#include "codec/codec_int.h"

static char encode_dummy[1];

/* Returns a new codec the caller owns (xs_codec_destroy). */
struct xs_codec *xs_codec_new(char *errstr, size_t errstr_size)
{
        struct xs_codec *codec;

        xs_avro_guard_init(0);
        codec = calloc(1, sizeof(*codec));
        if (!codec) {
                xs_set_err(errstr, errstr_size, "out of memory");
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
                xs_set_err(errstr, errstr_size, "out of memory");
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

/* The decode value for ws, created on first use and kept (round robin over the slots). */
avro_value_t *xs_codec_slot(struct xs_codec *codec, const struct xs_wschema *ws, char *errstr,
                            size_t errstr_size)
{
        for (int i = 0; i < XS_CODEC_SLOTS; i++)
                if (codec->slots[i].ws_id == ws->id)
                        return &codec->slots[i].value;
        struct decode_slot *slot = &codec->slots[codec->next_slot++ % XS_CODEC_SLOTS];
        slot_clear(slot);
        slot->iface = avro_generic_class_from_schema(ws->schema);
        if (!slot->iface) {
                xs_set_err(errstr, errstr_size, "cannot build a decoder: %s", avro_strerror());
                return NULL;
        }
        if (avro_generic_value_new(slot->iface, &slot->value) != 0) {
                avro_value_iface_decref(slot->iface);
                slot->iface = NULL;
                xs_set_err(errstr, errstr_size, "cannot build a decoder: %s", avro_strerror());
                return NULL;
        }
        slot->ws_id = ws->id;
        return &slot->value;
}

int xs_codec_grow(void **p, size_t *cap, size_t need, size_t elem)
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

int xs_codec_last_tombstone(const struct xs_codec *codec)
{
        return codec->last_tombstone;
}
