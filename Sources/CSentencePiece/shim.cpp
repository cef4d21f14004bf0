// extern "C" shim over the C++ libsentencepiece. Every entry point catches all
// exceptions so that none unwinds into Swift.
#include "spm_shim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Declared here because Debian does not install builder.h; the symbol is exported
// by libsentencepiece_train.so (`nm -DC` shows
// sentencepiece::normalizer::Builder::GetPrecompiledCharsMap(std::string_view, std::string*)).
namespace sentencepiece {
namespace normalizer {
class Builder {
 public:
  static util::Status GetPrecompiledCharsMap(std::string_view name, std::string *output);
};
}  // namespace normalizer
}  // namespace sentencepiece

struct spm_processor {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

char *copy_message(std::string_view message) {
  char *out = static_cast<char *>(std::malloc(message.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, message.data(), message.size());
  out[message.size()] = '\0';
  return out;
}

void set_error(char **error, std::string_view message) {
  if (error != nullptr) *error = copy_message(message);
}

template <typename Load>
spm_processor *load_with(Load load, char **error) {
  try {
    auto holder = std::make_unique<spm_processor>();
    const auto status = load(holder->processor);
    if (!status.ok()) {
      set_error(error, status.ToString());
      return nullptr;
    }
    return holder.release();
  } catch (const std::exception &e) {
    set_error(error, e.what());
  } catch (...) {
    set_error(error, "unknown C++ exception in sentencepiece");
  }
  return nullptr;
}

}  // namespace

extern "C" {

spm_processor *spm_load_file(const char *path, char **error) {
  return load_with([&](sentencepiece::SentencePieceProcessor &p) { return p.Load(path); }, error);
}

spm_processor *spm_load_bytes(const void *data, size_t length, char **error) {
  return load_with(
      [&](sentencepiece::SentencePieceProcessor &p) {
        return p.LoadFromSerializedProto(
            std::string_view(static_cast<const char *>(data), length));
      },
      error);
}

void spm_free(spm_processor *processor) { delete processor; }

void spm_string_free(char *string) { std::free(string); }

int32_t spm_piece_count(const spm_processor *processor) {
  if (processor == nullptr) return 0;
  try {
    return processor->processor.GetPieceSize();
  } catch (...) {
    return 0;
  }
}

int32_t spm_unk_id(const spm_processor *processor) {
  if (processor == nullptr) return 0;
  try {
    return processor->processor.unk_id();
  } catch (...) {
    return 0;
  }
}

int32_t spm_piece_to_id(const spm_processor *processor, const char *piece, size_t length) {
  if (processor == nullptr) return 0;
  try {
    return processor->processor.PieceToId(std::string_view(piece, length));
  } catch (...) {
    return -1;
  }
}

int64_t spm_id_to_piece(const spm_processor *processor, int32_t id, char *buffer,
                        size_t capacity) {
  if (processor == nullptr) return -1;
  try {
    if (id < 0 || id >= processor->processor.GetPieceSize()) return -1;
    const std::string &piece = processor->processor.IdToPiece(id);
    if (piece.size() <= capacity && buffer != nullptr)
      std::memcpy(buffer, piece.data(), piece.size());
    return static_cast<int64_t>(piece.size());
  } catch (...) {
    return -1;
  }
}

int64_t spm_encode(const spm_processor *processor, const char *text, size_t length,
                   int32_t *ids, size_t capacity, char **error) {
  if (processor == nullptr) return -1;
  try {
    std::vector<int> out;
    const auto status = processor->processor.Encode(std::string_view(text, length), &out);
    if (!status.ok()) {
      set_error(error, status.ToString());
      return -1;
    }
    const size_t n = out.size() < capacity ? out.size() : capacity;
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int32_t>(out[i]);
    return static_cast<int64_t>(out.size());
  } catch (const std::exception &e) {
    set_error(error, e.what());
  } catch (...) {
    set_error(error, "unknown C++ exception in sentencepiece");
  }
  return -1;
}

char *spm_precompiled_charsmap(const char *name, size_t *length, char **error) {
  try {
    std::string blob;
    const auto status = sentencepiece::normalizer::Builder::GetPrecompiledCharsMap(name, &blob);
    if (!status.ok()) {
      set_error(error, status.ToString());
      return nullptr;
    }
    if (blob.empty()) {
      set_error(error, std::string("no precompiled charsmap named ") + name);
      return nullptr;
    }
    char *out = static_cast<char *>(std::malloc(blob.size()));
    if (out == nullptr) {
      set_error(error, "out of memory");
      return nullptr;
    }
    std::memcpy(out, blob.data(), blob.size());
    *length = blob.size();
    return out;
  } catch (const std::exception &e) {
    set_error(error, e.what());
  } catch (...) {
    set_error(error, "unknown C++ exception in sentencepiece");
  }
  return nullptr;
}

}  // extern "C"
