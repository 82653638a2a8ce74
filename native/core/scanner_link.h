// native/core/scanner_link.h — the broker's end of the link to a wdav-scanner process: the
// socket pair (the child's end becomes its fd 3), requests sent without blocking (an fd passed
// by SCM_RIGHTS), replies received without blocking when the socket is readable (binding.cc
// polls it on the event loop). Many requests may be in flight; replies carry their ids.
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

// Sends `request` (with `pass_fd` when >= 0) without blocking. 0 or an errno: EAGAIN (the
// socket buffer is full), EPIPE (the scanner is gone), EMSGSIZE (beyond the protocol's maximum).
int Send(int sock, const char* data, size_t len, int pass_fd);

// Receives one reply packet without blocking. 0 with `reply` set, or an errno: EAGAIN (nothing
// waiting), EPIPE (the scanner closed its end or is gone), EMSGSIZE (a packet beyond the
// protocol's maximum: the scanner is not behaving). Never accepts file descriptors.
int Receive(int sock, std::string* reply);

}  // namespace scannerlink
}  // namespace wdav
