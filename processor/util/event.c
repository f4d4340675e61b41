/*
 * Deep copies of decoded records. Each copy is one allocation: the struct, its arrays and its
 * strings are laid out in a single block, so xs_event_free / xs_product_free is one free().
 */
#include <stdlib.h>
#include <string.h>

#include "xsell/event.h"

static size_t slen(const char *s)
{
        return s ? strlen(s) + 1 : 0;
}

static char *put(char **cursor, const char *s)
{
        if (!s)
                return NULL;
        size_t n = strlen(s) + 1;
        char *dst = *cursor;
        memcpy(dst, s, n);
        *cursor += n;
        return dst;
}

size_t xs_event_size(const struct xs_event *ev)
{
        size_t size = sizeof(*ev) + ev->n_items * sizeof(struct xs_line_item);
        size += slen(ev->event_id) + slen(ev->customer_id) + slen(ev->session_id) +
                slen(ev->order_id) + slen(ev->offer_id);
        for (size_t i = 0; i < ev->n_items; i++)
                size += slen(ev->items[i].product_id) + slen(ev->items[i].category) +
                        slen(ev->items[i].brand) + slen(ev->items[i].category_label);
        return size;
}

struct xs_event *xs_event_copy(const struct xs_event *ev)
{
        size_t size = xs_event_size(ev);
        struct xs_event *copy = malloc(size);
        if (!copy)
                return NULL;
        *copy = *ev;
        struct xs_line_item *items = (struct xs_line_item *)(copy + 1);
        char *cursor = (char *)(items + ev->n_items);
        copy->items = ev->n_items ? items : NULL;
        copy->event_id = put(&cursor, ev->event_id);
        copy->customer_id = put(&cursor, ev->customer_id);
        copy->session_id = put(&cursor, ev->session_id);
        copy->order_id = put(&cursor, ev->order_id);
        copy->offer_id = put(&cursor, ev->offer_id);
        for (size_t i = 0; i < ev->n_items; i++) {
                items[i] = ev->items[i];
                items[i].product_id = put(&cursor, ev->items[i].product_id);
                items[i].category = put(&cursor, ev->items[i].category);
                items[i].brand = put(&cursor, ev->items[i].brand);
                items[i].category_label = put(&cursor, ev->items[i].category_label);
        }
        return copy;
}

void xs_event_free(struct xs_event *ev)
{
        free(ev);
}

struct xs_product *xs_product_copy(const struct xs_product *p)
{
        size_t size = sizeof(*p) + (p->n_upgrades + p->n_downgrades) * sizeof(char *);
        size += slen(p->product_id) + slen(p->category) + slen(p->brand) + slen(p->category_label) +
                slen(p->addon);
        for (size_t i = 0; i < p->n_upgrades; i++)
                size += slen(p->upgrades[i]);
        for (size_t i = 0; i < p->n_downgrades; i++)
                size += slen(p->downgrades[i]);
        struct xs_product *copy = malloc(size);
        if (!copy)
                return NULL;
        *copy = *p;
        const char **ups = (const char **)(copy + 1);
        const char **downs = ups + p->n_upgrades;
        char *cursor = (char *)(downs + p->n_downgrades);
        copy->product_id = put(&cursor, p->product_id);
        copy->category = put(&cursor, p->category);
        copy->brand = put(&cursor, p->brand);
        copy->category_label = put(&cursor, p->category_label);
        copy->addon = put(&cursor, p->addon);
        for (size_t i = 0; i < p->n_upgrades; i++)
                ups[i] = put(&cursor, p->upgrades[i]);
        for (size_t i = 0; i < p->n_downgrades; i++)
                downs[i] = put(&cursor, p->downgrades[i]);
        copy->upgrades = p->n_upgrades ? ups : NULL;
        copy->downgrades = p->n_downgrades ? downs : NULL;
        return copy;
}

void xs_product_free(struct xs_product *p)
{
        free(p);
}
