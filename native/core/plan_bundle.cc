// native/core/plan_bundle.cc — see plan_bundle.h.
#include "core/plan_bundle.h"

#include <cstring>
#include <vector>

#ifdef WDAV_HAVE_HS
#include "core/patterns.h"
#endif

namespace wdav {
namespace planbundle {

namespace sb = scanbatch;

namespace {

constexpr size_t kDigestLen[sb::kKinds] = {16, 20, 32};

class Out {
 public:
  explicit Out(std::string* s) : s_(s) {}
  void U32(uint32_t v) { s_->append(reinterpret_cast<const char*>(&v), sizeof v); }
  void U64(uint64_t v) { s_->append(reinterpret_cast<const char*>(&v), sizeof v); }
  void Bytes(const void* p, size_t n) { s_->append(static_cast<const char*>(p), n); }
  void Pad() { s_->append((8 - s_->size() % 8) % 8, '\0'); }

 private:
  std::string* s_;
};

class In {
 public:
  In(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool U32(uint32_t* v) { return Copy(v, sizeof *v); }
  bool U64(uint64_t* v) { return Copy(v, sizeof *v); }
  // A view of the next n bytes (8-aligned start: the buffer is a page-aligned mapping).
  const uint8_t* Take(uint64_t n) {
    if (n > n_ - off_) return nullptr;
    const uint8_t* at = p_ + off_;
    off_ += static_cast<size_t>(n);
    return at;
  }
  bool Pad() {
    size_t pad = (8 - off_ % 8) % 8;
    return Take(pad) != nullptr;
  }
  bool done() const { return off_ == n_; }

 private:
  bool Copy(void* v, size_t n) {
    const uint8_t* at = Take(n);
    if (!at) return false;
    std::memcpy(v, at, n);
    return true;
  }
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
};

}  // namespace

bool Encode(const sb::Plan& plan, std::string* out, std::string* error) {
  out->clear();
  Out o(out);
  o.U32(kMagic);
  o.U32(plan.body_count);
  o.U32(static_cast<uint32_t>(plan.chunk));
  o.U32(plan.checked_tables ? 1 : 0);
  o.U32(plan.yara_set);
  o.U32(plan.yara_limit_ms);
  o.U32(plan.yara_max_bytes);
  o.U32(0);
  for (int k = 0; k < sb::kKinds; k++) {
    const sb::SizeSet& s = plan.hashes[k];
    o.U32(s.any ? 1 : 0);
    o.U32(static_cast<uint32_t>(s.sizes.size()));
    o.Bytes(s.sizes.data(), s.sizes.size() * sizeof(uint32_t));
    o.Pad();
  }
  std::string db;
  uint32_t eof_n = 0;
#ifdef WDAV_HAVE_HS
  if (plan.db) {
    if (!plan.db->Serialize(&db, error)) return false;
    eof_n = static_cast<uint32_t>(plan.db->eof_rules().size());
  }
#endif
  o.U64(db.size());
  o.U32(eof_n);
  o.U32(0);
#ifdef WDAV_HAVE_HS
  if (plan.db) {
    for (const auto& r : plan.db->eof_rules()) {
      o.U64(r.active ? 1 : 0);
      o.U64(r.n);
      o.U64(r.shift);
      o.U64(r.min_len);
      o.U64(r.max_len);
    }
  }
#endif
  o.Bytes(db.data(), db.size());
  o.Pad();
  for (int k = 0; k < sb::kKinds; k++) {
    o.U32(static_cast<uint32_t>(plan.tables[k].size()));
    o.U32(0);
    for (const sb::HashTableView& t : plan.tables[k]) {
      o.U64(t.count);
      o.Bytes(t.records, t.count * (kDigestLen[k] + 12));
      o.Pad();
      o.Bytes(t.buckets, (sb::kHashBuckets + 1) * sizeof(uint32_t));
      o.Pad();
    }
  }
  return true;
}

std::shared_ptr<sb::Plan> Decode(const uint8_t* data, size_t len, std::shared_ptr<void> owner, std::string* error) {
  auto fail = [&](const std::string& why) {
    *error = "the scan plan bundle " + why;
    return nullptr;
  };
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0) return fail("is not 8-byte aligned");
  In in(data, len);
  uint32_t magic, body_count, chunk, checked;
  if (!in.U32(&magic) || magic != kMagic) return fail("does not start with WDP2");
  uint32_t yara_set, yara_limit_ms, yara_max_bytes, pad0;
  if (!in.U32(&body_count) || !in.U32(&chunk) || !in.U32(&checked) || !in.U32(&yara_set) || !in.U32(&yara_limit_ms) || !in.U32(&yara_max_bytes) ||
      !in.U32(&pad0))
    return fail("is cut short in its header");
  if (chunk < 4096 || chunk > (64u << 20)) return fail("has a chunk size outside 4 KiB..64 MiB");
  auto plan = std::make_shared<sb::Plan>();
  plan->body_count = body_count;
  plan->chunk = chunk;
  plan->checked_tables = checked != 0;
  plan->yara_set = yara_set;
  plan->yara_limit_ms = yara_limit_ms == 0 ? 1 : yara_limit_ms;
  plan->yara_max_bytes = yara_max_bytes;
  for (int k = 0; k < sb::kKinds; k++) {
    uint32_t any, n;
    if (!in.U32(&any) || !in.U32(&n)) return fail("is cut short in its digest sizes");
    const uint8_t* sizes = in.Take(static_cast<uint64_t>(n) * sizeof(uint32_t));
    if (!sizes || !in.Pad()) return fail("is cut short in its digest sizes");
    plan->hashes[k].any = any != 0;
    plan->hashes[k].sizes.resize(n);
    std::memcpy(plan->hashes[k].sizes.data(), sizes, static_cast<size_t>(n) * sizeof(uint32_t));
    plan->hashes[k].Seal();
  }
  uint64_t db_len;
  uint32_t eof_n, pad;
  if (!in.U64(&db_len) || !in.U32(&eof_n) || !in.U32(&pad)) return fail("is cut short before its database");
  if (eof_n > (16u << 20)) return fail("lists too many end-anchored rules");
#ifdef WDAV_HAVE_HS
  std::vector<patterns::EofRule> eof(eof_n);
  for (uint32_t i = 0; i < eof_n; i++) {
    uint64_t active;
    if (!in.U64(&active) || !in.U64(&eof[i].n) || !in.U64(&eof[i].shift) || !in.U64(&eof[i].min_len) || !in.U64(&eof[i].max_len))
      return fail("is cut short in its end-anchored rules");
    eof[i].active = active != 0;
  }
  const uint8_t* db = in.Take(db_len);
  if (!db || !in.Pad()) return fail("is cut short in its database");
  if (db_len > 0) {
    std::string why;
    plan->db = patterns::Database::Deserialize(reinterpret_cast<const char*>(db), static_cast<size_t>(db_len), std::move(eof), &why);
    if (!plan->db) return fail("has a database Vectorscan refuses: " + why);
  }
#else
  if (db_len > 0) return fail("holds a Vectorscan database, and this build has no Vectorscan");
  if (!in.Take(static_cast<uint64_t>(eof_n) * 40) || !in.Pad()) return fail("is cut short in its end-anchored rules");
#endif
  for (int k = 0; k < sb::kKinds; k++) {
    uint32_t tables;
    if (!in.U32(&tables) || !in.U32(&pad)) return fail("is cut short in its hash tables");
    if (tables > 1024) return fail("lists too many hash tables");
    const uint64_t width = kDigestLen[k] + 12;
    for (uint32_t t = 0; t < tables; t++) {
      uint64_t count;
      if (!in.U64(&count) || count > (uint64_t{1} << 32)) return fail("has a hash table with a bad record count");
      sb::HashTableView v;
      v.count = static_cast<size_t>(count);
      v.records = in.Take(count * width);
      if (!v.records || !in.Pad()) return fail("is cut short in a hash table's records");
      const uint8_t* buckets = in.Take((sb::kHashBuckets + 1) * sizeof(uint32_t));
      if (!buckets || !in.Pad()) return fail("is cut short in a hash table's buckets");
      v.buckets = reinterpret_cast<const uint32_t*>(buckets);
      for (size_t i = 0; i < sb::kHashBuckets; i++)
        if (v.buckets[i] > v.buckets[i + 1] || v.buckets[i + 1] > v.count) return fail("has a bucket index outside its records");
      plan->tables[k].push_back(v);
    }
  }
  if (!in.done()) return fail("has bytes after its last hash table");
  plan->owner = std::move(owner);
  return plan;
}

}  // namespace planbundle
}  // namespace wdav
