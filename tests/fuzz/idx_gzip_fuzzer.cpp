// Fuzzes the gzipped-IDX path: the input is the decompressed content, which
// the harness gzips (zlib, gzip wrapper) into "input.gz" before the readers
// see it, so mutations land on the IDX header and payload behind a valid
// gzip stream. (Corrupt gzip streams themselves are fuzzed by idx_fuzzer.)
#include <cstdlib>
#include <vector>

#include <zlib.h>

#include "idx_check.hpp"

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream zs{};
  // 16 + 15 window bits: a gzip wrapper rather than zlib's.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<std::uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)));
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> compressed = gzip(data, size);
  const auto path = vknn::fuzz::write_scratch_file("input-idx-ubyte.gz", compressed.data(),
                                                   compressed.size());
  vknn::fuzz::read_idx_both_ways(path, ".gz");
  return 0;
}
