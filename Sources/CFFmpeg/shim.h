// The FFmpeg API as Swift sees it, plus static inline wrappers for the macros Swift cannot import.
#ifndef MOVINET_CFFMPEG_SHIM_H
#define MOVINET_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>

static inline int movinet_averror(int e) { return AVERROR(e); }
static inline int movinet_averror_eof(void) { return AVERROR_EOF; }
static inline int movinet_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t movinet_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int movinet_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }
#endif
