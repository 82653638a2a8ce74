// native/fuzz/archclean_mutate.cc — a mutation harness for native/core/archclean.* under
// AddressSanitizer and UBSan: archives from a seed directory, mutated (bytes, bits, truncation,
// 32-bit fields set to 0xffffffff or small values), proven with a check that never finds
// evidence (so the proof walks as far as it can), and MayEndInZip on each. Not part of `npm test`;
// see docs/testing.md.
//   g++ -std=c++17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Inative \
//       -o /tmp/archclean_mutate native/fuzz/archclean_mutate.cc native/core/archclean.cc -lz
//   /tmp/archclean_mutate SEED_DIR [ITERATIONS]
#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/archclean.h"

namespace {

unsigned long long state = 88172645463325252ULL;
unsigned long long Next() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// Touches every member's first, last and some middle bytes, so a member outside its buffer is
// an ASan report.
bool NoEvidence(void*, const uint8_t* d, size_t n) {
  volatile uint8_t s = 0;
  for (size_t i = 0; i < n; i += 97) s ^= d[i];
  if (n) s ^= d[n - 1];
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> seeds;
  if (DIR* dir = opendir(argv[1])) {
    while (struct dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(std::string(argv[1]) + "/" + e->d_name, std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      if (!ss.str().empty()) seeds.push_back(ss.str());
    }
    closedir(dir);
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seed files in %s\n", argv[1]);
    return 2;
  }
  const long iterations = argc > 2 ? std::atol(argv[2]) : 100000;
  // DEFAULT_ARCHIVE_LIMITS of src/engine/archives/limits.ts.
  wdav::archclean::Limits limits;
  limits.max_depth = 17;
  limits.max_files = 10000;
  limits.max_scan_size = 400ULL << 20;
  limits.max_file_size = 100ULL << 20;
  limits.max_ratio = 100;
  limits.ratio_min_size = 1ULL << 20;
  long clean = 0;
  long ends = 0;
  for (long i = 0; i < iterations; i++) {
    std::string b = seeds[Next() % seeds.size()];
    for (int k = static_cast<int>(Next() % 8); k > 0; k--) {
      size_t at = Next() % b.size();
      switch (Next() % 4) {
        case 0: b[at] = static_cast<char>(Next()); break;
        case 1: b[at] = static_cast<char>(b[at] ^ (1 << (Next() % 8))); break;
        case 2: b.resize(at ? at : 1); break;
        default: {
          uint32_t v = Next() % 3 == 0 ? 0xffffffffU : static_cast<uint32_t>(Next() % 100000);
          if (at + 4 <= b.size()) std::memcpy(&b[at], &v, 4);
        }
      }
    }
    std::vector<uint8_t> exact(b.begin(), b.end());  // exact-size heap block: overreads are reported
    if (wdav::archclean::Prove(exact.data(), exact.size(), limits, NoEvidence, nullptr) == wdav::archclean::kClean) clean++;
    // The batch pass looks at every file's end with it (scanbatch.cc): any size, any bytes.
    if (wdav::archclean::MayEndInZip(exact.data(), exact.size())) ends++;
  }
  std::printf("%ld mutated archives, %ld proven clean, %ld may end in a zip, no sanitizer report\n", iterations, clean, ends);
  return 0;
}
