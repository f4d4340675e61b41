/* xsell: umbrella header for the engine library. */
#ifndef XSELL_XSELL_H
#define XSELL_XSELL_H
#include "common.h"
#include "conf.h"
#include "event.h"
#include "offer.h"
#include "stats.h"
#include "engine.h"
#include "io.h"
#endif
