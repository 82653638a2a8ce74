// native/scanner/content.h — the scanner's content pass: what the broker's native threads ask
// of it over the content socket (fd 4, protocol.h kScanFiles): batches of files (as fds) read
// once each for the digests their sizes need, Vectorscan over the body signatures, the head
// and the archive sniff, and small archives proven clean (scanbatch.h, archclean.h), on a plan
// the broker loaded (kLoadPlan on the control socket: a plan bundle, plan_bundle.h). The answer
// is the scanbatch record of each file; the broker decides the verdicts from them.
// Threads: one reads the socket, `threads` scan; real-time batches are taken first.
// Owns: the plans, the content socket and its threads. Must not: decide verdicts, open files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wdav {
namespace scanner {

// The test-only marker: with --test-hooks, a file whose first bytes are these aborts the scanner
// when it is scanned (by YARA or by the content pass), so a real crash can be tested.
constexpr const char kCrashMarker[] = "WDAV-TEST-SCANNER-CRASH";
bool StartsWithCrashMarker(int fd);

// Starts the content threads on `sock` (a SOCK_SEQPACKET socket). Called once.
void StartContent(int sock, size_t threads, bool test_hooks);

// Maps the sealed memfd `fd` (read-only) and makes it plan `id`, replacing one of that id.
bool LoadPlan(uint32_t id, int fd, std::string* error);
// Forgets plan `id`; batches running on it finish first.
void ReleasePlan(uint32_t id);

}  // namespace scanner
}  // namespace wdav
