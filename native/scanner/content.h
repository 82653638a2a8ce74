// native/scanner/content.h — the scanner's content pass: what the broker's native threads ask
// of it over the content sockets (fds 4 and 5, protocol.h kScanFiles): batches of files (as fds) read
// once each for the digests their sizes need, Vectorscan over the body signatures, the head
// and the archive sniff, and small archives proven clean (scanbatch.h, archclean.h), on a plan
// the broker loaded (kLoadPlan on the control socket: a plan bundle, plan_bundle.h). The answer
// is the scanbatch record of each file; the broker decides the verdicts from them.
// Threads: `threads` receive and scan real-time requests (fd 4), as many others on-demand ones
// (fd 5), so on-demand batches never hold a thread real time needs; the broker's lanes bound how
// many on-demand batches are in flight.
// Owns: the plans, the content socket and its threads. Must not: decide verdicts, open files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/yara_rules.h"

namespace wdav {
namespace scanner {

// The test-only marker: with --test-hooks, a file whose first bytes are these aborts the scanner
// when it is scanned (by YARA or by the content pass), so a real crash can be tested.
constexpr const char kCrashMarker[] = "WDAV-TEST-SCANNER-CRASH";
bool StartsWithCrashMarker(int fd);

// The content sockets the broker gives (SOCK_SEQPACKET): real-time requests, on-demand requests.
constexpr int kContentSock = 4;
constexpr int kOnDemandSock = 5;

// The YARA rule set of that number (main.cc holds them), or null.
using YaraLookup = std::function<std::shared_ptr<yara::Rules>(uint32_t)>;

// Starts the content threads: `threads` on the real-time socket, as many on the on-demand one.
// Called once. A plan with a YARA rule set (scanbatch::Plan::yara_set) also runs those
// rules on every file that has no hash or body evidence: kYaraMatched, kYaraIncomplete (time
// limit, error, rule set gone) or kYaraSkipped (larger than the plan's bound) in its record.
void StartContent(size_t threads, bool test_hooks, YaraLookup yara);

// Maps the sealed memfd `fd` (read-only) and makes it plan `id`, replacing one of that id.
bool LoadPlan(uint32_t id, int fd, std::string* error);
// Forgets plan `id`; batches running on it finish first.
void ReleasePlan(uint32_t id);

}  // namespace scanner
}  // namespace wdav
