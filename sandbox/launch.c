/* Runs on the host, as the service's user: starts one sandboxed run and reaps all it leaves.
 *
 * Usage: launch UID CGROUP_FILES RLIMITS -- PROGRAM [ARGS...]
 *   UID           the run's own uid (and gid), or "-" to keep the caller's (service not root)
 *   CGROUP_FILES  ':'-separated files the run joins its cgroups through, or "-": v1 `tasks`, v2
 *                 `cgroup.procs`. "0" is written (the calling thread, which is the whole process
 *                 here): on v1 that moves the thread without the kernel's global threadgroup
 *                 lock, whose RCU grace period cost every run ~10-15 ms when written as a pid
 *   RLIMITS       ','-separated RESOURCE=VALUE pairs (cpu=S, as=B, nproc=N, fsize=B, nofile=N, core=B);
 *                 cpu's hard limit is one second above its soft one (SIGXCPU, then SIGKILL)
 *
 * The child joins the cgroups, sets the limits, drops to UID and execs PROGRAM (bwrap) with a
 * fixed two-variable environment: nothing of the service's environment reaches the sandbox,
 * not even through /proc/1/environ. This process stays a child subreaper, so every process the
 * run orphans (bwrap's own init included) is reaped here instead of piling up as zombies under
 * the host's PID 1. SIGTERM kills the run. Exit status: the child's, or 128 + its signal.
 * Built once per host by tasks/coderunner/helpers.py. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t run_pid = 0;

static void kill_run(int sig) {
    (void)sig;
    if (run_pid > 0) kill(run_pid, SIGKILL);
}

static int join_cgroups(char *list) {
    if (strcmp(list, "-") == 0) return 0;
    for (char *path = strtok(list, ":"); path; path = strtok(NULL, ":")) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0\n", 2) != 2) {
            fprintf(stderr, "launch: cannot join %s: %s\n", path, strerror(errno));
            return -1;
        }
        close(fd);
    }
    return 0;
}

static int set_limits(char *list) {
    static const struct { const char *name; int resource; } names[] = {
        {"cpu", RLIMIT_CPU}, {"as", RLIMIT_AS}, {"nproc", RLIMIT_NPROC},
        {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE}, {"core", RLIMIT_CORE},
    };
    for (char *pair = strtok(list, ","); pair; pair = strtok(NULL, ",")) {
        char *value = strchr(pair, '=');
        if (!value) return -1;
        *value++ = '\0';
        size_t i = 0;
        while (i < sizeof names / sizeof names[0] && strcmp(names[i].name, pair) != 0) i++;
        if (i == sizeof names / sizeof names[0]) return -1;
        rlim_t soft = strtoull(value, NULL, 10);
        struct rlimit limit = {soft, names[i].resource == RLIMIT_CPU ? soft + 1 : soft};
        if (setrlimit(names[i].resource, &limit) != 0) {
            fprintf(stderr, "launch: setrlimit %s: %s\n", pair, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static int drop_to(const char *uid_text) {
    if (strcmp(uid_text, "-") == 0) return 0;
    uid_t uid = (uid_t)strtoul(uid_text, NULL, 10);
    if (setgroups(0, NULL) != 0 || setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) {
        fprintf(stderr, "launch: cannot become uid %u: %s\n", (unsigned)uid, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: launch UID CGROUP_FILES RLIMITS -- PROGRAM [ARGS...]\n");
        return 125;
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        perror("launch: subreaper");
        return 125;
    }
    struct sigaction action = {0};
    action.sa_handler = kill_run;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigset_t stop, previous;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_BLOCK, &stop, &previous); /* until run_pid is set: a kill is never lost */

    pid_t child = fork();
    if (child < 0) {
        perror("launch: fork");
        return 125;
    }
    if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (join_cgroups(argv[2]) != 0 || set_limits(argv[3]) != 0 || drop_to(argv[1]) != 0) _exit(125);
        prctl(PR_SET_PDEATHSIG, SIGKILL);  /* after the uid change, which clears it */
        if (getppid() == 1) _exit(125);    /* the launcher died before we got here */
        char *environment[] = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", NULL};
        execve(argv[5], argv + 5, environment);
        fprintf(stderr, "launch: exec %s: %s\n", argv[5], strerror(errno));
        _exit(125);
    }
    run_pid = child;
    sigprocmask(SIG_SETMASK, &previous, NULL);
    /* The run's output pipes are the caller's to read to the end: do not hold them open. */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (null > 2) close(null);
    }
    for (int fd = 3; fd < 1024; fd++) close(fd);

    int status = 0, child_status = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid == child) {
            child_status = status;
            run_pid = 0;
        } else if (pid < 0 && errno == ECHILD) {
            break;
        }
    }
    if (WIFSIGNALED(child_status)) return 128 + WTERMSIG(child_status);
    return WEXITSTATUS(child_status);
}
