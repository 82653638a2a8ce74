// native/scanner/sandbox.h — what the scanner process gives up before it reads a byte from the
// broker: other fds, root (setresuid/setresgid to the scanner user, no supplementary groups, an
// empty capability bounding set), the right to gain privileges (PR_SET_NO_NEW_PRIVS), being
// ptraced or dumped by its own uid, address space beyond a limit, and every system call a
// scanner has no use for (a libseccomp allowlist: no open by path, no exec, no network).
// Owns: those steps and their order. Must not: know the protocol or the engines.
#pragma once

#include <string>
#include <sys/types.h>

namespace wdav {
namespace scanner {

struct SandboxOptions {
  uid_t uid = 0;
  gid_t gid = 0;
  size_t memory_limit_bytes = 0;  // 0: none
  int keep_fd = 3;                // the broker's socket; 0..2 stay too, everything else is closed
  bool keep_content = false;      // ...except fds 4 and 5 too: the content sockets (content.h)
};

// Before any engine is initialised: fds, credentials, limits, no-new-privs, parent death.
// Returns false with `error` set; the caller exits (the broker logs stderr).
bool Confine(const SandboxOptions& o, std::string* error);

// After the engines are initialised (libyara reads nothing later): the seccomp filter. From
// here open(), openat() and friends fail with EPERM; exec, ptrace and sockets kill the process.
bool LockSyscalls(std::string* error);

}  // namespace scanner
}  // namespace wdav
