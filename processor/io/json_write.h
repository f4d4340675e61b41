/*
 * JSON text of one record into a growing buffer (json_write.c), for the JSON lines writers of
 * io.c: events, catalog products, offers, signals and outcomes, in the field order of the .avsc
 * files, the same bytes for the same record.
 */
#ifndef XS_IO_JSON_WRITE_H
#define XS_IO_JSON_WRITE_H

#include <stddef.h>

#include "xsell/event.h"
#include "xsell/offer.h"

/* The text of one record is appended at p[len] (NUL terminated); the caller sets len = 0 to
 * start a record. oom: an allocation failed, the text is incomplete (sticky until freed). The
 * buffer is owned by the struct; xs_strbuf_free releases it and zeroes the struct. */
struct xs_strbuf {
        char *p;
        size_t len, cap;
        int oom;
};
void xs_strbuf_free(struct xs_strbuf *sb);
void xs_json_event(struct xs_strbuf *sb, const struct xs_event *ev);
void xs_json_product(struct xs_strbuf *sb, const struct xs_product *p, int tombstone);
void xs_json_offer(struct xs_strbuf *sb, const struct xs_offer *o);
void xs_json_signal(struct xs_strbuf *sb, const struct xs_signal *s);
void xs_json_outcome(struct xs_strbuf *sb, const struct xs_outcome *o);

#endif
