/* Runs inside the sandbox: fork the user's program, wait for it, and report how it ended and
 * what it used (CPU, peak RSS) on the report fd as one line: "status utime_us stime_us maxrss_kb".
 * Usage: supervise REPORT_FD PROGRAM [ARGS...]. The report fd is close-on-exec, so the program
 * itself cannot write to it or forge the report.
 * Built once per host by tasks/coderunner/supervisor.py. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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
