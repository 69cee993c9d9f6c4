// giflib 5.x as Swift sees it.
#ifndef MOVINET_CGIFLIB_SHIM_H
#define MOVINET_CGIFLIB_SHIM_H
#include <gif_lib.h>
#endif
