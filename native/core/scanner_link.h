// native/core/scanner_link.h — the broker's end of the link to a wdav-scanner process: the
// socket pair (the child's end becomes its fd 3) and one request/reply exchange, with an fd
// passed by SCM_RIGHTS and a deadline. The exchange runs on a libuv worker thread (binding.cc);
// the caller sends one request at a time per link (src/scanner/process.ts serialises them).
// Owns: the socket calls. Must not: interpret the payloads (src/scanner/protocol.ts does).
#pragma once

#include <cstddef>
#include <string>

namespace wdav {
namespace scannerlink {

// SOCK_SEQPACKET, both ends close-on-exec (spawn dup2()s the child's end onto fd 3, which
// clears the flag there). 0 or an errno.
int SocketPair(int fds[2]);

// A memfd holding `len` bytes, sealed against any change (close-on-exec). 0 or an errno.
int SealedMemfd(const char* data, size_t len, int* fd);

// Sends `request` (with `pass_fd` when >= 0) and waits up to `timeout_ms` for one reply packet.
// 0 with `reply` set, or an errno: ETIMEDOUT (no reply in time), EPIPE (the scanner is gone),
// EMSGSIZE (a packet beyond the protocol's maximum).
int Exchange(int sock, const std::string& request, int pass_fd, int timeout_ms, std::string* reply);

}  // namespace scannerlink
}  // namespace wdav
