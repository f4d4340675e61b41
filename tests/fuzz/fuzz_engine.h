/*
 * The engine a fuzz target feeds: one for the whole run (its caps keep it bounded), with the
 * default configuration; stepped visibility on request.
 */
#ifndef XS_FUZZ_ENGINE_H
#define XS_FUZZ_ENGINE_H

#include <stdlib.h>

#include "xsell/xsell.h"

static struct xs_engine *fuzz_engine(int stepped)
{
        static struct xs_engine *eng;
        if (!eng) {
                char err[256];
                struct xs_conf *conf = xs_conf_new();
                eng = xs_engine_new(conf, NULL, err, sizeof(err));
                xs_conf_destroy(conf);
                if (!eng)
                        abort();
                if (stepped)
                        xs_engine_set_stepped(eng, 1);
        }
        return eng;
}

#endif
