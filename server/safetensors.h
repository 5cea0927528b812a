// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {str: str}} padded with spaces, then the tensors' raw little-endian bytes.
// Only the header lives here (no files, no tensors), so it can be tested on bytes alone.
// Every parse error is a kiln::Error of kind kValue whose message says what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/dtype.h"
#include "engine/core/shape.h"

namespace kiln::server {

inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;  // as the reference reader

struct SafetensorsEntry {
  std::string name;
  std::string file_dtype;  // as written: "F32", "I16", ...
  DType dtype;             // Kiln's dtype; I16 widens to int32 (Kiln has no int16)
  Shape shape;
  uint64_t begin = 0, end = 0;  // offsets into the data section
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in the header's order
  std::map<std::string, std::string> metadata;
};

// The file dtype of a Kiln dtype ("F32" for kFloat32, ...).
const char* safetensors_dtype(DType t);
// Element size of a file dtype; 0 when Kiln cannot read it (U16, F8_E4M3, ...).
size_t safetensors_element_size(std::string_view file_dtype);

// Parses and validates the JSON header against a data section of `data_len` bytes: known
// dtypes, byte counts that match the shapes, offsets that tile the data section exactly (no
// holes, no overlap), unique names, at most `max_tensors` tensors.
SafetensorsHeader parse_safetensors_header(std::string_view json, uint64_t data_len,
                                           size_t max_tensors);

// The 8-byte length plus the JSON header, padded with spaces to a multiple of 8 so that the
// data section starts aligned. `entries` carry names, dtypes, shapes and offsets.
std::string make_safetensors_header(const std::vector<SafetensorsEntry>& entries,
                                    const std::map<std::string, std::string>& metadata);

// JSON string quoting (used by the header writer; exposed for tests).
std::string json_quote(std::string_view s);

}  // namespace kiln::server
