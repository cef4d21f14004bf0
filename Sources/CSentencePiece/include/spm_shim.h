#ifndef QUARRY_SPM_SHIM_H
#define QUARRY_SPM_SHIM_H
/*
 * extern "C" shim over libsentencepiece (see shim.cpp).
 * No C++ exception crosses this boundary: every fallible call reports failure
 * through a malloc'ed, NUL-terminated message in *error (free it with
 * spm_string_free) and a NULL / negative result.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spm_processor spm_processor;

/* Loads a serialized ModelProto from a file or from memory. */
spm_processor *spm_load_file(const char *path, char **error);
spm_processor *spm_load_bytes(const void *data, size_t length, char **error);
void spm_free(spm_processor *processor);
void spm_string_free(char *string);

/* Vocabulary queries (SentencePiece's own ids). */
int32_t spm_piece_count(const spm_processor *processor);
int32_t spm_unk_id(const spm_processor *processor);
/* Returns the piece's id, or the unk id when the piece is not in the vocabulary. */
int32_t spm_piece_to_id(const spm_processor *processor, const char *piece, size_t length);
/* Copies the piece's UTF-8 bytes (no NUL) into buffer when they fit and returns
 * their length; returns -1 for an id out of range. */
int64_t spm_id_to_piece(const spm_processor *processor, int32_t id, char *buffer, size_t capacity);

/* Encodes text to SentencePiece ids. Writes at most `capacity` ids and returns the
 * total count (call again with a larger buffer when it exceeds capacity); -1 on error. */
int64_t spm_encode(const spm_processor *processor, const char *text, size_t length,
                   int32_t *ids, size_t capacity, char **error);

/* The precompiled normalisation rules (e.g. "nmt_nfkc") that libsentencepiece_train
 * embeds, as stored in NormalizerSpec.precompiled_charsmap. Returns a malloc'ed
 * buffer (free with spm_string_free) and its length, or NULL with *error set. */
char *spm_precompiled_charsmap(const char *name, size_t *length, char **error);

#ifdef __cplusplus
}
#endif
#endif
