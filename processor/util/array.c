/* Arrays indexed by an id, grown on demand (util/array.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

int xs_array_fit(void **arr, size_t *n, size_t elem, size_t index, size_t first, size_t max)
{
        if (index < *n)
                return 0;
        if (index >= max)
                return -1;
        uint64_t len = *n ? *n : first;
        while (len <= index)
                len *= 2;
        if (len > max)
                len = max;
        void *p = realloc(*arr, (size_t)len * elem);
        if (!p)
                return -1;
        memset((char *)p + *n * elem, 0, ((size_t)len - *n) * elem);
        *arr = p;
        *n = (size_t)len;
        return 0;
}
