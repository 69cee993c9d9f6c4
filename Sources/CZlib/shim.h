// zlib as Swift sees it (gzip decompression of downloaded model archives), plus a wrapper for the
// inflateInit2 macro, which Swift cannot import.
#ifndef MOVINET_CZLIB_SHIM_H
#define MOVINET_CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2(strm, windowBits) for gzip streams (windowBits 16 + 15: gzip header, 32 KB window).
static inline int movinet_inflate_init_gzip(z_streamp strm) { return inflateInit2(strm, 16 + MAX_WBITS); }
#endif
