// The FFmpeg API as Swift sees it, plus static inline wrappers for the macros Swift cannot import.
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
#include <libavutil/sha.h>

static inline int movinet_averror(int e) { return AVERROR(e); }
static inline int movinet_averror_eof(void) { return AVERROR_EOF; }
static inline int movinet_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int movinet_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int movinet_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int movinet_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
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

/// Gives `ctx` the colour matrix and range `f` declares, as FFmpeg's `scale` filter does by default
/// (`in_color_matrix=auto`, `in_range=auto`). Call again when either changes.
static inline int movinet_sws_use_frame_colorspace(struct SwsContext *ctx, const AVFrame *f) {
    int src_range = f->color_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat fmt = (enum AVPixelFormat)f->format;
    if (fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P ||
        fmt == AV_PIX_FMT_YUVJ440P || fmt == AV_PIX_FMT_YUVJ411P)
        src_range = 1;
    int cs = f->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : (int)f->colorspace;
    const int *table = sws_getCoefficients(cs);
    int *inv, *tab, srcr, dstr, b, c, s;
    if (sws_getColorspaceDetails(ctx, &inv, &srcr, &tab, &dstr, &b, &c, &s) < 0) return -1;
    return sws_setColorspaceDetails(ctx, table, src_range, tab, dstr, b, c, s);
}

/// Converts one decoded frame to packed RGB24 at `dst` (row stride `dst_stride` bytes).
static inline int movinet_sws_frame_to_rgb24(struct SwsContext *ctx, const AVFrame *f, uint8_t *dst,
                                             int dst_stride) {
    uint8_t *dsts[4] = {dst, NULL, NULL, NULL};
    int strides[4] = {dst_stride, 0, 0, 0};
    return sws_scale(ctx, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dsts, strides);
}
#endif
