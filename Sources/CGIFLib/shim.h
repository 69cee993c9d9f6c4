// giflib 5.x as Swift sees it.
#ifndef MOVINET_CGIFLIB_SHIM_H
#define MOVINET_CGIFLIB_SHIM_H
#include <gif_lib.h>
#include <stddef.h>

/// Frees the per-image records giflib keeps while reading record by record, so memory does not
/// grow with the number of frames (DGifGetImageDesc appends one SavedImage per image).
static inline void movinet_gif_forget_saved_images(GifFileType *gif) {
    GifFreeSavedImages(gif);
    gif->SavedImages = NULL;
    gif->ImageCount = 0;
}
#endif
