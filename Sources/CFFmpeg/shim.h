// The FFmpeg API as Swift sees it, plus static inline wrappers for the macros Swift cannot import.
// Types, structs and constants only: nothing here calls FFmpeg, and the module links nothing, since
// VideoDecoding opens the libraries at run time (FFmpegLibrary.swift).
#ifndef MOVINET_CFFMPEG_SHIM_H
#define MOVINET_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
#include <libavutil/version.h>
#include <libavcodec/version.h>
#include <libavformat/version.h>
#include <libswscale/version.h>

/// av_log_set_callback and its callback's types: Swift cannot spell `va_list` in a function type.
typedef void (*movinet_av_log_callback)(void *avcl, int level, const char *fmt, va_list args);
typedef void (*movinet_av_log_set_callback)(movinet_av_log_callback callback);

static inline int movinet_averror(int e) { return AVERROR(e); }
static inline int movinet_averror_eof(void) { return AVERROR_EOF; }
static inline int movinet_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int movinet_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int movinet_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int movinet_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int movinet_averror_http_bad_request(void) { return AVERROR_HTTP_BAD_REQUEST; }
static inline int movinet_averror_http_unauthorized(void) { return AVERROR_HTTP_UNAUTHORIZED; }
static inline int movinet_averror_http_forbidden(void) { return AVERROR_HTTP_FORBIDDEN; }
static inline int movinet_averror_http_not_found(void) { return AVERROR_HTTP_NOT_FOUND; }
static inline int movinet_averror_http_other_4xx(void) { return AVERROR_HTTP_OTHER_4XX; }
static inline int movinet_averror_http_server_error(void) { return AVERROR_HTTP_SERVER_ERROR; }
static inline int64_t movinet_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int movinet_av_error_max_string_size(void) { return AV_ERROR_MAX_STRING_SIZE; }
static inline int64_t movinet_av_time_base(void) { return AV_TIME_BASE; }
static inline int movinet_av_frame_flag_corrupt(void) { return AV_FRAME_FLAG_CORRUPT; }

/// The frame's duration in its stream's time base (`pkt_duration` before FFmpeg 6, `duration` after).
static inline int64_t movinet_frame_duration(const AVFrame *f) {
#if LIBAVUTIL_VERSION_MAJOR >= 58
    return f->duration;
#else
    return f->pkt_duration;
#endif
}
#endif
