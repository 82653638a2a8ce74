// native/core/walk_util.h — small pure helpers of the on-demand walker: the display form of
// path bytes (valid UTF-8 kept, anything else as \xHH), errno names for reports, device numbers
// from mountinfo's major:minor, and the statfs magic numbers of kernel pseudo filesystems.
// Plain C++, no state. Must not: open or walk anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wdav {
namespace walk {

// `display` form of raw bytes: valid UTF-8 is kept, every other byte (and C0 controls, DEL)
// becomes the four characters \xHH. Appends to *out; returns true when anything was escaped.
bool Escape(const char* p, size_t n, std::string* out);

// ENOENT, EACCES, ... (E<number> for the rest).
std::string ErrnoName(int e);

// st_dev of a major:minor pair as /proc/self/mountinfo shows it.
uint64_t MakeDev(uint32_t major, uint32_t minor);

// Filesystems that are never scanned, whatever the scan: kernel pseudo filesystems.
bool IsPseudoFsMagic(int64_t magic);

}  // namespace walk
}  // namespace wdav
