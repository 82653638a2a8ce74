// native/core/yara_rules.cc — see yara_rules.h.
#include "core/yara_rules.h"

#include <yara.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unistd.h>
#include <sys/stat.h>

namespace wdav {
namespace yara {

namespace {

// libyara keeps global state (modules, thread-local keys) that yr_initialize sets up once per
// process. It is never finalised: scans may still run on other threads at exit.
int EnsureInitialized() {
  static std::once_flag once;
  static int rc = ERROR_SUCCESS;
  std::call_once(once, [] { rc = yr_initialize(); });
  return rc;
}

struct Diagnostics {
  std::vector<std::pair<int, std::string>> errors;  // line, message
};

void OnCompilerMessage(int level, const char* /*file*/, int line, const YR_RULE* /*rule*/, const char* message, void* user) {
  // Warnings ("$a is slowing down scanning", ...) do not stop a rule from loading.
  if (level != YARA_ERROR_LEVEL_ERROR) return;
  static_cast<Diagnostics*>(user)->errors.emplace_back(line, message ? message : "unknown error");
}

// A compiler with includes disabled (a rule file must not make the daemon read other files)
// and errors collected into `d`.
YR_COMPILER* NewCompiler(Diagnostics* d, std::string* fatal) {
  YR_COMPILER* c = nullptr;
  if (yr_compiler_create(&c) != ERROR_SUCCESS) {
    *fatal = "yr_compiler_create failed (out of memory)";
    return nullptr;
  }
  yr_compiler_set_include_callback(c, nullptr, nullptr, nullptr);
  yr_compiler_set_callback(c, OnCompilerMessage, d);
  return c;
}

// Adds one source; returns the errors (empty when it compiled). The compiler is unusable after
// an error (libyara asserts on further additions).
std::vector<std::pair<int, std::string>> Add(YR_COMPILER* c, Diagnostics* d, const std::string& source, const std::string& ns) {
  d->errors.clear();
  if (source.find('\0') != std::string::npos) return {{0, "the file contains a NUL byte"}};
  int n = yr_compiler_add_string(c, source.c_str(), ns.empty() ? nullptr : ns.c_str());
  if (n > 0 && d->errors.empty()) d->errors.emplace_back(0, "compile error");
  return n > 0 ? d->errors : std::vector<std::pair<int, std::string>>{};
}

// Compiles `source` alone; the first error, or line -1 when it compiled.
std::pair<int, std::string> CompileAlone(const std::string& source, const std::string& ns, std::string* fatal) {
  Diagnostics d;
  YR_COMPILER* c = NewCompiler(&d, fatal);
  if (!c) return {0, *fatal};
  auto errs = Add(c, &d, source, ns);
  yr_compiler_destroy(c);
  return errs.empty() ? std::pair<int, std::string>{-1, ""} : errs.front();
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) return out;
    start = nl + 1;
  }
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); i++) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

// A unit validated alone, or nothing (its errors appended). Per-line units lose failing lines.
bool Validate(Unit* u, std::vector<CompileError>* errors, std::string* fatal) {
  if (!u->per_line) {
    auto e = CompileAlone(u->source, u->ns, fatal);
    if (e.first < 0) return true;
    errors->push_back({u->file, e.first, e.second});
    return false;
  }
  std::vector<std::string> lines = SplitLines(u->source);
  for (int attempt = 0; attempt < Rules::kMaxLineRetries; attempt++) {
    auto e = CompileAlone(JoinLines(lines), u->ns, fatal);
    if (e.first < 0) {
      u->source = JoinLines(lines);
      return true;
    }
    if (!fatal->empty()) return false;
    size_t at = static_cast<size_t>(e.first);
    if (e.first <= 0 || at > lines.size() || lines[at - 1].empty()) break;
    errors->push_back({u->file, e.first, e.second});
    lines[at - 1].clear();  // keeps the other lines' numbers
  }
  errors->push_back({u->file, 0, "too many rules failed to compile; unit dropped"});
  return false;
}

}  // namespace

const char* Version() { return YR_VERSION; }

Rules::Rules(YR_RULES* r) : rules_(r) {
  YR_RULE* rule;
  yr_rules_foreach(rules_, rule) rule_count_++;
}

Rules::~Rules() {
  // Every scan holds a reference to its Rules: all scanners are idle here.
  for (YR_SCANNER* s : idle_) yr_scanner_destroy(s);
  yr_rules_destroy(rules_);
}

std::shared_ptr<Rules> Rules::Compile(const std::vector<Unit>& units, std::vector<CompileError>* errors, size_t* loaded, std::string* fatal) {
  *loaded = 0;
  if (EnsureInitialized() != ERROR_SUCCESS) {
    *fatal = "yr_initialize failed";
    return nullptr;
  }
  // Alone first: a file that does not compile is reported with its own line numbers, and what
  // compiles cannot depend on another file (the same as for every file, whichever failed).
  std::vector<Unit> ok;
  for (const Unit& u : units) {
    Unit v = u;
    if (Validate(&v, errors, fatal)) ok.push_back(std::move(v));
    if (!fatal->empty()) return nullptr;
  }
  // Together, in order. A unit refused here clashes with an earlier one (a rule name used
  // twice): it is dropped and the compiler rebuilt without it (libyara's compiler is unusable
  // after an error). Each round drops one unit, so this ends.
  while (!ok.empty()) {
    Diagnostics d;
    YR_COMPILER* c = NewCompiler(&d, fatal);
    if (!c) return nullptr;
    size_t bad = ok.size();
    for (size_t i = 0; i < ok.size(); i++) {
      auto errs = Add(c, &d, ok[i].source, ok[i].ns);
      if (errs.empty()) continue;
      errors->push_back({ok[i].file, errs.front().first, errs.front().second});
      bad = i;
      break;
    }
    if (bad < ok.size()) {
      yr_compiler_destroy(c);
      ok.erase(ok.begin() + static_cast<std::ptrdiff_t>(bad));
      continue;
    }
    YR_RULES* r = nullptr;
    int rc = yr_compiler_get_rules(c, &r);
    yr_compiler_destroy(c);
    if (rc != ERROR_SUCCESS || !r) {
      *fatal = "yr_compiler_get_rules failed (out of memory)";
      return nullptr;
    }
    *loaded = ok.size();
    return std::shared_ptr<Rules>(new Rules(r));
  }
  return nullptr;
}

YR_SCANNER* Rules::Checkout(std::string* err) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!idle_.empty()) {
      YR_SCANNER* s = idle_.back();
      idle_.pop_back();
      return s;
    }
  }
  YR_SCANNER* s = nullptr;
  if (yr_scanner_create(rules_, &s) != ERROR_SUCCESS) {
    *err = "yr_scanner_create failed (out of memory)";
    return nullptr;
  }
  // Matching rules only (no callback per rule that did not match); memory we own (see header).
  yr_scanner_set_flags(s, SCAN_FLAGS_REPORT_RULES_MATCHING | SCAN_FLAGS_NO_TRYCATCH);
  return s;
}

void Rules::Return(YR_SCANNER* s) {
  std::lock_guard<std::mutex> l(mu_);
  idle_.push_back(s);
}

void ScanControl::Stop() {
  std::lock_guard<std::mutex> l(mu_);
  stopped_ = true;
  // 1 ns: already passed at libyara's next check (0 would mean "no limit").
  if (running_) __atomic_store_n(&running_->timeout, static_cast<uint64_t>(1), __ATOMIC_RELAXED);
}

bool ScanControl::stopped() {
  std::lock_guard<std::mutex> l(mu_);
  return stopped_;
}

namespace {

int OnScanMessage(YR_SCAN_CONTEXT* /*ctx*/, int message, void* data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  const YR_RULE* rule = static_cast<const YR_RULE*>(data);
  Match m;
  m.rule = rule->identifier;
  m.ns = rule->ns && rule->ns->name ? rule->ns->name : "";
  const YR_META* meta;
  yr_rule_metas_foreach(rule, meta) {
    Meta x;
    x.id = meta->identifier;
    if (meta->type == META_TYPE_STRING) {
      x.kind = Meta::kString;
      x.text = meta->string ? meta->string : "";
    } else {
      x.kind = meta->type == META_TYPE_BOOLEAN ? Meta::kBool : Meta::kInt;
      x.number = meta->integer;
    }
    m.metas.push_back(std::move(x));
  }
  static_cast<std::vector<Match>*>(user)->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

std::string ScanErrorText(int rc) {
  const char* what = nullptr;
  switch (rc) {
    case ERROR_INSUFFICIENT_MEMORY: what = "out of memory"; break;
    case ERROR_TOO_MANY_RE_FIBERS: what = "too many regular expression fibers"; break;
    case ERROR_EXEC_STACK_OVERFLOW: what = "condition stack overflow"; break;
    case ERROR_TOO_MANY_MATCHES: what = "too many matches"; break;
    default: break;
  }
  return "libyara scan error " + std::to_string(rc) + (what ? std::string(" (") + what + ")" : "");
}

}  // namespace

Outcome Scan(Rules& rules, const uint8_t* data, size_t len, uint64_t limit_ns, ScanControl* control) {
  Outcome out;
  auto t0 = std::chrono::steady_clock::now();
  YR_SCANNER* s = rules.Checkout(&out.error);
  if (!s) {
    out.status = Status::kError;
    return out;
  }
  std::vector<Match> matches;
  yr_scanner_set_callback(s, OnScanMessage, &matches);
  const uint64_t floor_ns = 1000000;  // 1 ms
  {
    std::lock_guard<std::mutex> l(control->mu_);
    if (control->stopped_) {
      rules.Return(s);
      out.status = Status::kCancelled;
      return out;
    }
    s->timeout = std::max(limit_ns, floor_ns);
    control->running_ = s;
  }
  // An empty buffer still evaluates conditions (`filesize == 0`, `true`); libyara wants a
  // non-null pointer.
  static const uint8_t kEmpty = 0;
  int rc = yr_scanner_scan_mem(s, len ? data : &kEmpty, len);
  bool stopped;
  {
    std::lock_guard<std::mutex> l(control->mu_);
    control->running_ = nullptr;
    stopped = control->stopped_;
  }
  rules.Return(s);
  out.elapsed_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  if (rc == ERROR_SUCCESS) {
    out.matches = std::move(matches);
  } else if (rc == ERROR_SCAN_TIMEOUT) {
    out.status = stopped ? Status::kCancelled : Status::kTimeout;
  } else {
    out.status = Status::kError;
    out.error = ScanErrorText(rc);
  }
  return out;
}

Outcome ScanFd(Rules& rules, int fd, size_t max_bytes, uint64_t limit_ns, ScanControl* control, std::vector<uint8_t>* buffer) {
  Outcome out;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    out.status = Status::kError;
    out.error = std::string("fstat: ") + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > max_bytes) {
    out.status = Status::kError;
    out.error = S_ISREG(st.st_mode) ? "file larger than the YARA size limit" : "not a regular file";
    return out;
  }
  size_t size = static_cast<size_t>(st.st_size);
  buffer->resize(size);
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, buffer->data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.status = Status::kError;
      out.error = std::string("pread: ") + std::strerror(errno);
      return out;
    }
    if (n == 0) break;  // shrank while we read: scan what there was
    got += static_cast<size_t>(n);
  }
  return Scan(rules, buffer->data(), got, limit_ns, control);
}

}  // namespace yara
}  // namespace wdav
