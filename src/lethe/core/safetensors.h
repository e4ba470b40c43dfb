#pragma once
// safetensors (https://huggingface.co/docs/safetensors): 8-byte little-endian header length N,
// N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__":
// {str: str}}, then the byte buffer. Dtypes: F32 F16 BF16 I64 I32 U8 BOOL.
// Reading is safe on hostile input: each problem (truncated file, header length beyond the
// file, huge header, non-UTF-8 or invalid JSON, unknown dtype, data size ≠ shape × dtype size,
// offsets out of range, overlapping or leaving gaps) is an InputError naming the file and it.
#include <torch/torch.h>

#include <map>
#include <string>

#include "lethe/core/tensor_map.h"

namespace lethe {

struct SafetensorsFile {
  TensorMap tensors;
  std::map<std::string, std::string> metadata;
};

constexpr uint64_t kSafetensorsMaxHeader = 100ull << 20;  // 100 MiB, as upstream

SafetensorsFile read_safetensors(const std::string& path);
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name);
// Contiguous CPU copies are written; atomic (temp file + rename).
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});
std::string serialize_safetensors(const TensorMap& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace lethe
