/*
 * Confluent Schema Registry framing: magic byte 0, the 4-byte big-endian schema id, then the
 * Avro body. Nothing is copied or allocated; a buffer shorter than the header, or with another
 * magic byte, is XS_ERR_DECODE.
 */
#include "xsell/codec.h"

void xs_frame_header(unsigned char hdr[XS_FRAME_HEADER], uint32_t schema_id)
{
        hdr[0] = 0;
        hdr[1] = (unsigned char)(schema_id >> 24);
        hdr[2] = (unsigned char)(schema_id >> 16);
        hdr[3] = (unsigned char)(schema_id >> 8);
        hdr[4] = (unsigned char)schema_id;
}

/* *body points into buf (nothing is copied or allocated). */
xs_err_t xs_frame_parse(const void *buf, size_t len, uint32_t *schema_id, const void **body,
                        size_t *body_len)
{
        const unsigned char *p = buf;
        if (!p || len < XS_FRAME_HEADER || p[0] != 0)
                return XS_ERR_DECODE;
        *schema_id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        *body = p + XS_FRAME_HEADER;
        *body_len = len - XS_FRAME_HEADER;
        return XS_OK;
}
