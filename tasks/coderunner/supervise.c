/* Runs inside the sandbox: fork the user's program under a seccomp filter, wait for it, and
 * report how it ended and what it used (CPU, peak RSS) on the report fd as one line:
 * "status utime_us stime_us maxrss_kb".
 * Usage: supervise REPORT_FD PROGRAM [ARGS...]. The report fd is close-on-exec, so the program
 * itself cannot write to it or forge the report.
 *
 * The filter (libseccomp) is what namespaces cannot take away: it denies debugging other
 * processes (ptrace, process_vm_*), making namespaces or mounts (unshare, setns, clone with
 * CLONE_NEW*, mount and the new mount API), the kernel keyring, bpf, perf events, userfaultfd,
 * io_uring, module and kexec calls, and every socket family but AF_UNIX. Denied calls fail with
 * EPERM (sockets: EAFNOSUPPORT; clone3: ENOSYS, so libc falls back to the filtered clone);
 * syscalls of another architecture (32-bit int 0x80) kill the process.
 * Built once per host by tasks/coderunner/helpers.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
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
    if (fcntl(report, F_SETFD, FD_CLOEXEC) != 0) {
        perror("supervise: report fd");
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
        execv(argv[2], argv + 2);
        perror("exec");
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
    }
    dprintf(report, "%d %ld %ld %ld\n", status,
            (long)usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec,
            (long)usage.ru_stime.tv_sec * 1000000L + usage.ru_stime.tv_usec, usage.ru_maxrss);
    return 0;
}
