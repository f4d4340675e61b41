/*
 * The string fields of decoded records against the contract (issue 10 items 5 and 10): ids
 * within event.max_id_bytes, labels within event.max_label_bytes, all valid UTF-8. The engine
 * checks every event and catalog record with these before anything else, whatever decoded it,
 * so that an oversized or malformed string is poison, never state or an output.
 */
#ifndef XS_ENGINE_FIELDS_H
#define XS_ENGINE_FIELDS_H

#include <stddef.h>

#include "util/conf_int.h"
#include "util/utf8.h"
#include "xsell/event.h"

/* Every string field of ev; the first bad one is described in why (named, never quoted: it
 * may be a megabyte or not text). XS_STR_OK when all are fine. */
enum xs_str_verdict xs_fields_event(const struct xs_params *p, const struct xs_event *ev, char *why,
                                    size_t why_size);

/* The same for a catalog record (product_id, currency, labels, upgrade and downgrade
 * targets). */
enum xs_str_verdict xs_fields_product(const struct xs_params *p, const struct xs_product *pr,
                                      char *why, size_t why_size);

#endif
