/* Runs inside the sandbox as its PID 1: fork the user's program under a seccomp filter, reap
 * every process, and when the program ends report how it ended and what it used (CPU, peak RSS)
 * on the report fd as one line: "status utime_us stime_us maxrss_kb".
 * Usage: supervise REPORT_FD PROGRAM [ARGS...].
 *
 * The program runs under the supervisor's uid, so the supervisor guards itself against it:
 * - it is not dumpable (PR_SET_DUMPABLE 0): the kernel then refuses the program /proc/1/mem,
 *   /proc/1/fd, /proc/1/syscall and ptrace, all of which need CAP_SYS_PTRACE over a non-dumpable
 *   process, a capability nobody in the sandbox has (bwrap drops them all);
 * - it is PID 1 of the run's PID namespace (bwrap --as-pid-1: no bwrap init beside it), and the
 *   kernel delivers to a namespace's init no signal from inside that it does not handle;
 * - after the fork it installs a filter of its own that allows only what waiting and reporting
 *   take (wait4, write, exit): even code planted in it could open no socket;
 * - the report fd is close-on-exec: the program never holds it.
 * So the report comes from a process the program can neither write, trace nor signal.
 *
 * The program's filter (libseccomp) is what namespaces cannot take away: it denies debugging other
 * processes (ptrace, process_vm_*, prlimit64 on another process), making namespaces or mounts
 * (unshare, setns, clone with CLONE_NEW*, mount and the new mount API), the kernel keyring, bpf,
 * perf events, userfaultfd, io_uring, module and kexec calls, and every socket family but AF_UNIX.
 * Denied calls fail with EPERM (sockets: EAFNOSUPPORT; clone3: ENOSYS, so libc falls back to the
 * filtered clone); syscalls of another architecture (32-bit int 0x80) kill the process.
 * Built once per host by tasks/coderunner/helpers.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const DENIED[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount", "umount2",
    "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "open_by_handle_at", "name_to_handle_at",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "settimeofday", "clock_settime",
    "lookup_dcookie", "fanotify_init", "personality",
};

static const unsigned long NEW_NAMESPACES[] = {
    CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP,
};

static int install_filter(void) {
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (!filter) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof DENIED / sizeof DENIED[0]; i++) {
        int nr = seccomp_syscall_resolve_name(DENIED[i]);
        if (nr != __NR_SCMP_ERROR) rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    for (size_t i = 0; rc == 0 && i < sizeof NEW_NAMESPACES / sizeof NEW_NAMESPACES[0]; i++) {
        unsigned long flag = NEW_NAMESPACES[i];
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    }
    if (rc == 0) rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socketpair), 1,
                              SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    if (rc == 0)  /* another process's limits: glibc's own calls pass pid 0 */
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_NE, 0));
    if (rc == 0) rc = seccomp_load(filter);
    seccomp_release(filter);
    return rc;
}

/* The supervisor's own filter, once the program is forked: waiting and reporting, nothing else. */
static int confine_self(void) {
    static const int ALLOWED[] = {
        SCMP_SYS(wait4), SCMP_SYS(write), SCMP_SYS(exit_group), SCMP_SYS(exit), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(restart_syscall),
    };
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!filter) return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof ALLOWED / sizeof ALLOWED[0]; i++)
        rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, ALLOWED[i], 0);
    if (rc == 0) rc = seccomp_load(filter);
    seccomp_release(filter);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: supervise REPORT_FD PROGRAM [ARGS...]\n");
        return 125;
    }
    int report = atoi(argv[1]);
    if (fcntl(report, F_SETFD, FD_CLOEXEC) != 0 || prctl(PR_SET_DUMPABLE, 0) != 0) {
        perror("supervise: report fd, dumpable");
        return 125;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("supervise: fork");
        return 125;
    }
    if (child == 0) {
        int rc = install_filter();
        if (rc != 0) {
            fprintf(stderr, "supervise: seccomp: error %d\n", rc);
            _exit(125);
        }
        execv(argv[2], argv + 2);  /* exec makes the program dumpable again: its own tree only */
        perror("exec");
        _exit(127);
    }
    if (confine_self() != 0) {
        fprintf(stderr, "supervise: seccomp (self): failed\n");
        return 125;
    }
    /* PID 1 adopts every orphan of the run: reap them all until the program itself ends. */
    int status = 0;
    struct rusage usage;
    pid_t pid;
    do {
        pid = wait4(-1, &status, __WALL, &usage);
    } while (pid != child && !(pid < 0 && errno == ECHILD));
    if (pid != child) _exit(125);
    char line[96];  /* snprintf of integers makes no syscall */
    int length = snprintf(line, sizeof line, "%d %ld %ld %ld\n", status,
                          (long)usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec,
                          (long)usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec, usage.ru_maxrss);
    _exit(write(report, line, (size_t)length) == length ? 0 : 125);  /* _exit: no stdio to flush */
}
