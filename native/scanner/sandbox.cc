// native/scanner/sandbox.cc — see sandbox.h. The order matters: the bounding set can only be
// dropped while root; PR_SET_PDEATHSIG is cleared by a credential change, so it comes after
// setresuid; seccomp comes last, after libyara's initialisation, and allows no way back.
#include "scanner/sandbox.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sched.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace wdav {
namespace scanner {

namespace {

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool CloseOthers(int keep, bool content, std::string* error) {
  // 0..2 and the socket stay; the broker gives /dev/null and pipes for them.
  if (keep != 3) {
    *error = "the broker socket must be fd 3";
    return false;
  }
  if (syscall(SYS_close_range, content ? 6u : 4u, ~0u, 0u) != 0) {
    *error = Errno("close_range");
    return false;
  }
  return true;
}

bool DropBoundingSet(std::string* error) {
  for (int cap = 0; cap < 64; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break;  // past the kernel's last capability
    *error = Errno("PR_CAPBSET_DROP");
    return false;
  }
  return true;
}

}  // namespace

bool Confine(const SandboxOptions& o, std::string* error) {
  if (!CloseOthers(o.keep_fd, o.keep_content, error)) return false;
  if (o.uid == 0 || o.gid == 0) {
    *error = "refusing to scan as root: give --uid and --gid of an unprivileged user";
    return false;
  }
  if (geteuid() == 0) {
    if (!DropBoundingSet(error)) return false;
    if (setgroups(0, nullptr) != 0) return (*error = Errno("setgroups"), false);
    if (setresgid(o.gid, o.gid, o.gid) != 0) return (*error = Errno("setresgid"), false);
    if (setresuid(o.uid, o.uid, o.uid) != 0) return (*error = Errno("setresuid"), false);
  }
  uid_t r, e, s;
  gid_t gr, ge, gs;
  if (getresuid(&r, &e, &s) != 0 || getresgid(&gr, &ge, &gs) != 0) return (*error = Errno("getresuid"), false);
  if (r != o.uid || e != o.uid || s != o.uid || gr != o.gid || ge != o.gid || gs != o.gid) {
    *error = "running as uid " + std::to_string(e) + ", not the scanner user " + std::to_string(o.uid) + " (start it as root or as that user)";
    return false;
  }
  if (setuid(0) == 0) return (*error = "root could be regained after dropping it", false);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return (*error = Errno("PR_SET_NO_NEW_PRIVS"), false);
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return (*error = Errno("PR_SET_DUMPABLE"), false);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return (*error = Errno("PR_SET_PDEATHSIG"), false);
  if (getppid() == 1) return (*error = "the broker is gone", false);
  if (o.memory_limit_bytes > 0) {
    struct rlimit rl = {o.memory_limit_bytes, o.memory_limit_bytes};
    if (setrlimit(RLIMIT_AS, &rl) != 0) return (*error = Errno("setrlimit(RLIMIT_AS)"), false);
  }
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);  // file content must not end up in a core file
  return true;
}

bool LockSyscalls(std::string* error) {
  // Everything not listed fails with EPERM; what a scanner must never do kills it.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return (*error = "seccomp_init failed", false);
  int rc = 0;
  auto allow = [&](int nr) {
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
  };
  auto kill = [&](int nr) {
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
  };
  for (int nr : {SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
                 SCMP_SYS(preadv), SCMP_SYS(preadv2), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
                 SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),
                 SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex),
                 SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(rt_sigaction),
                 SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(exit),
                 SCMP_SYS(exit_group), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
                 SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(clock_gettime),
                 SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
                 SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getrandom),
                 SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fcntl), SCMP_SYS(membarrier)})
    allow(nr);
  // glibc's fstat() is newfstatat(fd, "", buf, AT_EMPTY_PATH): allowed only in that form.
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1, SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
  // Threads, not processes: clone only with CLONE_THREAD; clone3 hides its flags in memory, so
  // it answers ENOSYS and glibc falls back to clone.
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  // send() is sendto() with no address: only that form (no datagrams to elsewhere).
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_EQ, 0));
  // prctl only to name threads: no way to become dumpable (ptraceable by the uid) again.
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME));
  // abort() signals itself; no other process may be signalled.
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(getpid())));
  for (int nr : {SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
                 SCMP_SYS(process_vm_writev), SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect),
                 SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(kill),
                 SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
                 SCMP_SYS(unshare), SCMP_SYS(setns), SCMP_SYS(mount), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
                 SCMP_SYS(fanotify_init), SCMP_SYS(init_module), SCMP_SYS(finit_module)})
    kill(nr);
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) {
    *error = std::string("seccomp: ") + std::strerror(-rc);
    return false;
  }
  return true;
}

}  // namespace scanner
}  // namespace wdav
