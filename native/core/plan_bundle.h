// native/core/plan_bundle.h — a scan plan (scanbatch.h: the body-signature database, the sizes
// that need a digest, the hash tables) as one flat byte string, so that the broker can hand it
// to the scanner process in a sealed memfd and the scanner can scan with it without parsing
// anything else. The scanner maps the memfd read-only: the hash tables are used where they lie
// (views into the mapping), the Vectorscan database is deserialized (it must be writable).
// Layout (host byte order: both ends run on the same machine), every section 8-aligned:
//   magic u32 "WDP2", body_count u32, chunk u32, checked_tables u32, yara_set u32,
//   yara_limit_ms u32, yara_max_bytes u32, pad u32
//   3 × (any u32, n u32, sizes u32[n])                  md5, sha1, sha256
//   db_len u64 (0: no Vectorscan database), eof_n u32, pad u32,
//   eof_n × (active u64, n u64, shift u64, min_len u64, max_len u64), db bytes [db_len]
//   3 × (tables u32, pad u32, tables × (count u64, records [count × (digest + 12)], buckets u32[65537]))
// Decode checks every length and bucket index against the bytes it was given: a bundle that does
// not hold together is refused with the reason, never read past.
// Owns: the layout. Must not: scan, open files or know about sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/scanbatch.h"

namespace wdav {
namespace planbundle {

constexpr uint32_t kMagic = 0x32504457;  // "WDP2"

// The plan's bytes; false (with `error`) when its database cannot be serialized.
bool Encode(const scanbatch::Plan& plan, std::string* out, std::string* error);

// A plan over `data[0..len)`, which must stay alive and unchanged as long as the plan is used:
// `owner` is stored in the plan to keep it so. Null with `error` when the bytes are not a plan.
std::shared_ptr<scanbatch::Plan> Decode(const uint8_t* data, size_t len, std::shared_ptr<void> owner, std::string* error);

}  // namespace planbundle
}  // namespace wdav
