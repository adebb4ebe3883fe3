/* The process-tree sampler on real processes: a busy child and grandchild count, CPU of
 * exited children stays counted, memory the child touches shows in RSS. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include "common/timeutil.h"
#include "monitor/sample_proc.h"
#include "tests/unit/unit.h"

/* Burns CPU time (not wall time: the machine may be busy with other work). */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn(double seconds)
{
    double end = cpu_now() + seconds;
    volatile unsigned long x = 0;
    while (cpu_now() < end)
        x++;
}

/* A child that forks a grandchild; both burn CPU, then sleep until killed. */
static pid_t start_family(int pipe_w)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            burn(0.3);
            pause();
            _exit(0);
        }
        burn(0.3);
        ssize_t w = write(pipe_w, "x", 1);
        (void)w;
        pause();
        _exit(0);
    }
    return pid;
}

TEST(tree_counts_descendants)
{
    proc_tree *t;
    CHECK_INT(proc_tree_open(getpid(), &t), 0);
    int p[2];
    CHECK_INT(pipe(p), 0);
    pid_t child = start_family(p[1]);
    char c;
    CHECK_INT(read(p[0], &c, 1), 1);
    proc_tree_totals tot;
    /* the grandchild finishes its burn too (its CPU time, however long that takes) */
    double until = mono_seconds() + 20;
    do {
        usleep(20000);
        CHECK_INT(proc_tree_sample(t, &tot), 0);
    } while (tot.cpu_user_seconds + tot.cpu_system_seconds < 0.58 && mono_seconds() < until);
    CHECK_INT(tot.processes, 2);
    /* the full /proc listing finds the same tree as the children-file walk */
    proc_tree_totals full;
    proc_tree_rescan(t);
    CHECK_INT(proc_tree_sample(t, &full), 0);
    CHECK_INT(full.processes, 2);
    CHECK_INT(full.threads, tot.threads);
    CHECK_INT(proc_tree_sample(t, &tot), 0); /* and back to walking */
    CHECK_INT(tot.processes, 2);
    double cpu = tot.cpu_user_seconds + tot.cpu_system_seconds;
    CHECK_NEAR(cpu, 0.6, 0.15);
    CHECK(tot.rss_bytes > 100 * 1024);
    pid_t pids[8];
    CHECK_INT(proc_tree_pids(t, pids, 8), 2);

    /* the child dies and is reaped here: its CPU moves to the reaped account */
    kill(child, SIGKILL);
    int status;
    struct rusage ru;
    CHECK_INT(wait4(child, &status, 0, &ru), child);
    proc_tree_add_reaped(t, &ru, NULL);
    /* the orphaned grandchild comes back to us (we are its subreaper) */
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    CHECK_INT(tot.processes, 1);
    double cpu2 = tot.cpu_user_seconds + tot.cpu_system_seconds;
    CHECK(cpu2 >= cpu - 1e-9);
    CHECK_INT(proc_tree_pids(t, pids, 8), 1);
    kill(pids[0], SIGKILL);
    waitpid(pids[0], &status, 0);
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    CHECK_INT(tot.processes, 0);
    close(p[0]);
    close(p[1]);
    proc_tree_close(t);
}

TEST(rss_of_touched_memory)
{
    proc_tree *t;
    CHECK_INT(proc_tree_open(getpid(), &t), 0);
    int p[2];
    CHECK_INT(pipe(p), 0);
    size_t size = 64u << 20;
    pid_t child = fork();
    if (child == 0) {
        char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (size_t i = 0; i < size; i += 4096)
            m[i] = 1;
        ssize_t w = write(p[1], "x", 1);
        (void)w;
        pause();
        _exit(0);
    }
    char c;
    CHECK_INT(read(p[0], &c, 1), 1);
    proc_tree_totals tot;
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    CHECK(tot.rss_bytes >= size);
    CHECK(tot.rss_bytes < size + (64u << 20));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(p[0]);
    close(p[1]);
    proc_tree_close(t);
}

/* Bytes written by a grandchild (reaped by the child) and by the child (reaped here,
 * its totals read while it is a zombie) are each counted once. */
TEST(io_of_exited_processes_counted_once)
{
    proc_tree *t;
    CHECK_INT(proc_tree_open(getpid(), &t), 0);
    static char block[1 << 20];
    int null_fd = open("/dev/null", O_WRONLY);
    pid_t child = fork();
    if (child == 0) {
        pid_t g = fork();
        if (g == 0) {
            ssize_t w = write(null_fd, block, sizeof block);
            _exit(w == (ssize_t)sizeof block ? 0 : 1);
        }
        waitpid(g, NULL, 0);
        ssize_t w = write(null_fd, block, sizeof block);
        _exit(w == (ssize_t)sizeof block ? 0 : 1);
    }
    proc_tree_totals tot;
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_INT(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
    proc_io_fields io;
    CHECK_INT(proc_tree_read_io(t, child, &io), 0);
    int status;
    struct rusage ru;
    CHECK_INT(wait4(child, &status, 0, &ru), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    proc_tree_add_reaped(t, &ru, &io);
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    CHECK_INT(tot.processes, 0);
    CHECK(tot.write_chars >= 2u << 20);
    CHECK(tot.write_chars < (2u << 20) + 65536);
    close(null_fd);
    proc_tree_close(t);
}

/* A child forked by a thread other than the main one is missing from the main thread's
 * children file; the full listing finds it. */
static void *fork_from_thread(void *arg)
{
    pid_t *pid = arg;
    *pid = fork();
    if (*pid == 0) {
        pause();
        _exit(0);
    }
    return NULL;
}

TEST(child_of_another_thread)
{
    proc_tree *t;
    CHECK_INT(proc_tree_open(getpid(), &t), 0);
    pid_t child = -1;
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, fork_from_thread, &child), 0);
    pthread_join(th, NULL);
    CHECK(child > 0);
    proc_tree_totals tot;
    proc_tree_rescan(t);
    CHECK_INT(proc_tree_sample(t, &tot), 0);
    CHECK_INT(tot.processes, 1);
    CHECK_INT(proc_tree_sample(t, &tot), 0); /* once known, the walk keeps it */
    CHECK_INT(tot.processes, 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    proc_tree_close(t);
}

int main(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    RUN(tree_counts_descendants);
    RUN(rss_of_touched_memory);
    RUN(io_of_exited_processes_counted_once);
    RUN(child_of_another_thread);
    return unit_done();
}
