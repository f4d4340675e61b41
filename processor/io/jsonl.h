/*
 * JSON lines reader of events and catalog products (jsonl.c): the format module io.c calls for
 * XS_FMT_JSONL (the contract is reader.h's; JSON lines have no header).
 */
#ifndef XS_IO_JSONL_H
#define XS_IO_JSONL_H

#include "io/reader.h"

extern const struct xs_format_ops xs_jsonl_format;

#endif
