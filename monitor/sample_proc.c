#include "monitor/sample_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "monitor/procfs_parse.h"
#include "monitor/fileio.h"

enum membership { M_UNKNOWN = 0, M_IN, M_OUT };

typedef struct pentry {
    pid_t pid;
    pid_t ppid;
    unsigned char member;
    unsigned char dead;     /* its descriptors went stale: the process is gone */
    int stat_fd, io_fd;
    int children_fd;        /* /proc/PID/task/PID/children, opened when first walked */
    proc_io_fields io;      /* last values read */
} pentry;

/* A full /proc listing finds everything but costs a lookup per process on the machine;
 * the children files cost only per tree process but list the main thread's children
 * only. So the tree is walked through the children files every sample, and /proc is
 * listed in full this often when some tree process has several threads (only then can
 * a child come from another thread), and whenever children files are missing. A
 * process found late loses nothing: its counters are cumulative. */
#define FULL_SCAN_PERIOD 2.0

#define MAX_EXCLUDED 8

struct proc_tree {
    pid_t root;
    pid_t excluded[MAX_EXCLUDED];
    size_t n_excluded;
    int proc_fd;                 /* /proc, kept open and re-read with getdents64 */
    pentry *cur, *next;          /* sorted by pid; swapped after each pass */
    size_t n_cur, cap;
    long ticks;                  /* clock ticks per second */
    long page_size;
    proc_io_fields reaped_io;    /* bytes of tree processes the monitor reaped */
    double reaped_user, reaped_system;
    proc_tree_totals last;       /* for monotonic clamping */
    int root_children_fd;        /* the root's children file; -1: kernel without them */
    int force_full;
    int multithreaded;           /* a tree process had more than one thread */
    double last_full;            /* monotonic time of the last full listing */
    pid_t *stack;                /* the walk's work list, grown when needed */
    size_t stack_cap;
    pentry *added;               /* processes the walk found that the array lacks */
    size_t n_added, added_cap;
    char *dents;                 /* getdents64 buffer, made by the first full listing */
    char buf[4096];              /* last: not zeroed at open */
};

#define DENTS_SIZE 32768

struct linux_dirent64_ {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

int proc_tree_open(pid_t root, proc_tree **out)
{
    proc_tree *t = malloc(sizeof *t);
    if (!t)
        return -1;
    /* zeroed up to the buffer only: calloc would write, and so fault in, every page of
     * a buffer whose pages are touched only as far as reads fill it */
    memset(t, 0, offsetof(proc_tree, buf));
    t->root = root;
    t->ticks = sysconf(_SC_CLK_TCK);
    if (t->ticks <= 0)
        t->ticks = 100;
    t->page_size = sysconf(_SC_PAGESIZE);
    if (t->page_size <= 0)
        t->page_size = 4096;
    t->proc_fd = open_cloexec("/proc", O_RDONLY | O_DIRECTORY, 0);
    if (t->proc_fd < 0) {
        free(t);
        return -1;
    }
    t->cap = 32; /* grown (doubled) when a tree or a full listing needs more */
    /* entries are written before they are read (below n_cur, n_added, the stack depth) */
    t->cur = malloc(t->cap * sizeof *t->cur);
    t->next = malloc(t->cap * sizeof *t->next);
    t->stack_cap = t->added_cap = 64;
    t->stack = malloc(t->stack_cap * sizeof *t->stack);
    t->added = malloc(t->added_cap * sizeof *t->added);
    char path[64];
    snprintf(path, sizeof path, "%d/task/%d/children", (int)root, (int)root);
    t->root_children_fd = openat(t->proc_fd, path, O_RDONLY | O_CLOEXEC);
    /* The first full listing waits a period: at start the workload has no descendants
     * the children files would miss, and a short run never pays for a listing. */
    t->last_full = mono_seconds();
    if (!t->cur || !t->next || !t->stack || !t->added) {
        proc_tree_close(t);
        return -1;
    }
    *out = t;
    return 0;
}

static void close_entry(pentry *e)
{
    if (e->stat_fd >= 0)
        close(e->stat_fd);
    if (e->io_fd >= 0)
        close(e->io_fd);
    if (e->children_fd >= 0)
        close(e->children_fd);
    e->stat_fd = e->io_fd = e->children_fd = -1;
}

void proc_tree_close(proc_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_cur; i++)
        close_entry(&t->cur[i]);
    if (t->proc_fd >= 0)
        close(t->proc_fd);
    if (t->root_children_fd >= 0)
        close(t->root_children_fd);
    free(t->dents);
    free(t->cur);
    free(t->next);
    free(t->stack);
    free(t->added);
    free(t);
}

void proc_tree_exclude(proc_tree *t, pid_t pid)
{
    if (t->n_excluded < MAX_EXCLUDED)
        t->excluded[t->n_excluded++] = pid;
}

void proc_tree_add_reaped(proc_tree *t, const struct rusage *ru, const proc_io_fields *io)
{
    t->reaped_user += (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6;
    t->reaped_system += (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
    if (io) {
        t->reaped_io.rchar += io->rchar;
        t->reaped_io.wchar += io->wchar;
        t->reaped_io.read_bytes += io->read_bytes;
        t->reaped_io.write_bytes += io->write_bytes;
    }
}


static pentry *find(pentry *arr, size_t n, pid_t pid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (arr[mid].pid == pid)
            return &arr[mid];
        if (arr[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int grow(proc_tree *t)
{
    size_t cap = t->cap * 2;
    pentry *a = realloc(t->cur, cap * sizeof *a);
    if (!a)
        return -1;
    t->cur = a;
    pentry *b = realloc(t->next, cap * sizeof *b);
    if (!b)
        return -1;
    t->next = b;
    t->cap = cap;
    return 0;
}

static int parse_pid(const char *name, pid_t *pid)
{
    if (*name < '1' || *name > '9')
        return -1;
    long v = 0;
    for (const char *s = name; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
        if (v > 0x7fffffff)
            return -1;
    }
    *pid = (pid_t)v;
    return 0;
}

/* Reads a kept /proc file from its start into t->buf; length or -1. */
static ssize_t pread_buf(proc_tree *t, int fd)
{
    ssize_t n = pread(fd, t->buf, sizeof t->buf - 1, 0);
    if (n >= 0)
        t->buf[n] = '\0';
    return n;
}

static int open_at_proc(proc_tree *t, pid_t pid, const char *file)
{
    char path[48];
    snprintf(path, sizeof path, "%d/%s", (int)pid, file);
    return openat(t->proc_fd, path, O_RDONLY | O_CLOEXEC);
}

int proc_tree_read_io(proc_tree *t, pid_t pid, proc_io_fields *io)
{
    int fd = open_at_proc(t, pid, "io");
    if (fd < 0)
        return -1;
    ssize_t n = pread_buf(t, fd);
    close(fd);
    if (n <= 0 || parse_proc_io(t->buf, (size_t)n, io) < 0)
        return -1;
    return 0;
}

/* An entry of the previous pass whose process is gone. Its bytes and CPU are not lost:
 * the kernel adds a reaped child's counters to its parent's (cutime, and the io of the
 * parent's /proc/PID/io), and for the monitor's own children proc_tree_add_reaped()
 * takes them over. */
static void retire(proc_tree *t, pentry *e)
{
    (void)t;
    e->dead = 1;
    close_entry(e);
}

/* Pass 1: list /proc into t->next, carrying over what is known from t->cur. */
static int list_pids(proc_tree *t, size_t *n_out)
{
    /* most runs never list /proc in full (see FULL_SCAN_PERIOD): no buffer until one does */
    if (!t->dents && !(t->dents = malloc(DENTS_SIZE)))
        return -1;
    size_t n = 0;
    if (lseek(t->proc_fd, 0, SEEK_SET) < 0)
        return -1;
    for (;;) {
        long got = syscall(SYS_getdents64, t->proc_fd, t->dents, DENTS_SIZE);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            struct linux_dirent64_ *d = (struct linux_dirent64_ *)(t->dents + off);
            off += d->d_reclen;
            pid_t pid;
            if (parse_pid(d->d_name, &pid) < 0 || pid == t->root)
                continue;
            if (n == t->cap && grow(t) < 0)
                return -1;
            pentry *old = find(t->cur, t->n_cur, pid);
            if (old && !old->dead) {
                t->next[n] = *old;
                old->stat_fd = old->io_fd = old->children_fd = -1; /* moved */
                old->member = M_UNKNOWN;        /* carried over: not retired below */
                old->dead = 1;
            } else {
                memset(&t->next[n], 0, sizeof t->next[n]);
                t->next[n].pid = pid;
                t->next[n].stat_fd = t->next[n].io_fd = t->next[n].children_fd = -1;
            }
            n++;
        }
    }
    *n_out = n;
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = ((const pentry *)a)->pid, y = ((const pentry *)b)->pid;
    return (x > y) - (x < y);
}

static int is_excluded(const proc_tree *t, pid_t pid)
{
    for (size_t i = 0; i < t->n_excluded; i++)
        if (t->excluded[i] == pid)
            return 1;
    return 0;
}

/* Decides whether a newly seen process descends from the root. */
static enum membership resolve(proc_tree *t, pentry *arr, size_t n, pentry *e, int depth)
{
    if (e->member != M_UNKNOWN)
        return e->member;
    e->member = M_OUT;
    if (is_excluded(t, e->pid))
        return M_OUT;
    int fd = open_at_proc(t, e->pid, "stat");
    if (fd < 0)
        return M_OUT;
    proc_stat_fields st;
    ssize_t len = pread_buf(t, fd);
    if (len <= 0 || parse_proc_stat(t->buf, (size_t)len, &st) < 0) {
        close(fd);
        return M_OUT;
    }
    e->ppid = st.ppid;
    enum membership m = M_OUT;
    if (st.ppid == t->root) {
        m = M_IN;
    } else if (st.ppid > 0 && depth < 64) {
        pentry *parent = find(arr, n, st.ppid);
        if (parent)
            m = resolve(t, arr, n, parent, depth + 1);
    }
    e->member = (unsigned char)m;
    if (m == M_IN) {
        e->stat_fd = fd;
        e->io_fd = open_at_proc(t, e->pid, "io"); /* may fail (permissions): no io then */
    } else {
        close(fd);
    }
    return m;
}

/* Adds one tree process's current figures; a process that vanished is retired. */
static void add_process(proc_tree *t, pentry *e, proc_tree_totals *sum, double *cpu_u,
                        double *cpu_s, int *multithreaded)
{
    proc_stat_fields st;
    ssize_t len = pread_buf(t, e->stat_fd);
    if (len <= 0 || parse_proc_stat(t->buf, (size_t)len, &st) < 0) {
        retire(t, e);
        return;
    }
    sum->processes++;
    sum->threads += (unsigned)st.num_threads;
    if (st.num_threads > 1)
        *multithreaded = 1;
    sum->rss_bytes += st.rss_pages * (uint64_t)t->page_size;
    *cpu_u += (double)(st.utime + st.cutime) / (double)t->ticks;
    *cpu_s += (double)(st.stime + st.cstime) / (double)t->ticks;
    if (e->io_fd >= 0) {
        len = pread_buf(t, e->io_fd);
        if (len > 0)
            parse_proc_io(t->buf, (size_t)len, &e->io);
    }
    sum->read_chars += e->io.rchar;
    sum->write_chars += e->io.wchar;
    sum->disk_read_bytes += e->io.read_bytes;
    sum->disk_write_bytes += e->io.write_bytes;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static double max_d(double a, double b) { return a > b ? a : b; }

/* The full listing: every process in /proc, new ones resolved through their parents. */
static int full_scan(proc_tree *t)
{
    size_t n;
    if (list_pids(t, &n) < 0)
        return -1;
    for (size_t i = 0; i < t->n_cur; i++)
        if (!t->cur[i].dead || t->cur[i].stat_fd >= 0)
            retire(t, &t->cur[i]);
    for (size_t i = 1; i < n; i++) {
        if (t->next[i - 1].pid > t->next[i].pid) {
            qsort(t->next, n, sizeof *t->next, cmp_pid);
            break;
        }
    }
    pentry *tmp = t->cur;
    t->cur = t->next;
    t->next = tmp;
    t->n_cur = n;
    for (size_t i = 0; i < n; i++)
        resolve(t, t->cur, n, &t->cur[i], 0);
    return 0;
}

static int push(proc_tree *t, size_t *depth, pid_t pid)
{
    if (*depth == t->stack_cap) {
        pid_t *s = realloc(t->stack, 2 * t->stack_cap * sizeof *s);
        if (!s)
            return -1;
        t->stack = s;
        t->stack_cap *= 2;
    }
    t->stack[(*depth)++] = pid;
    return 0;
}

/* Makes E a fresh tree entry for PID (a new process, or a reused pid). */
static void adopt(proc_tree *t, pentry *e, pid_t pid, pid_t ppid)
{
    close_entry(e);
    memset(e, 0, sizeof *e);
    e->pid = pid;
    e->ppid = ppid;
    e->member = M_IN;
    e->stat_fd = open_at_proc(t, pid, "stat");
    e->io_fd = open_at_proc(t, pid, "io");
    e->children_fd = -1;
    if (e->stat_fd < 0)
        e->dead = 1;
}

static pentry *find_any(proc_tree *t, pid_t pid)
{
    pentry *e = find(t->cur, t->n_cur, pid);
    for (size_t i = 0; !e && i < t->n_added; i++)
        if (t->added[i].pid == pid)
            e = &t->added[i];
    return e;
}

/* Handles one child PID of PARENT found in a children file. */
static int visit_child(proc_tree *t, size_t *depth, pid_t parent, pid_t pid)
{
    if (is_excluded(t, pid))
        return 0;
    pentry *e = find_any(t, pid);
    if (e && !e->dead && e->member == M_IN)
        return push(t, depth, pid);
    if (!e) {
        if (t->n_added == t->added_cap) {
            pentry *a = realloc(t->added, 2 * t->added_cap * sizeof *a);
            if (!a)
                return -1;
            t->added = a;
            t->added_cap *= 2;
        }
        e = &t->added[t->n_added++];
        e->stat_fd = e->io_fd = e->children_fd = -1;
    }
    adopt(t, e, pid, parent);   /* new, or a pid that was someone else's before */
    return push(t, depth, pid);
}

/* Reads a children file ("12 345 ") and visits each pid. */
static int walk_one(proc_tree *t, size_t *depth, pid_t parent, int fd)
{
    ssize_t n = fd >= 0 ? pread_buf(t, fd) : -1;
    if (n <= 0)
        return 0;
    char list[sizeof t->buf];
    memcpy(list, t->buf, (size_t)n + 1); /* t->buf is reused by what visit_child reads */
    const char *p = list, *end = list + n;
    uint64_t v;
    while (scan_u64(&p, end, &v) == 0)
        if (v > 0 && v < 0x7fffffff && visit_child(t, depth, parent, (pid_t)v) < 0)
            return -1;
    return 0;
}

/* The cheap pass: from the root down through the children files. */
static int walk_tree(proc_tree *t)
{
    size_t depth = 0;
    t->n_added = 0;
    if (walk_one(t, &depth, t->root, t->root_children_fd) < 0)
        return -1;
    while (depth > 0) {
        pid_t pid = t->stack[--depth];
        pentry *e = find_any(t, pid);
        if (!e || e->dead)
            continue;
        if (e->children_fd < 0) {
            char path[64];
            snprintf(path, sizeof path, "%d/task/%d/children", (int)pid, (int)pid);
            e->children_fd = openat(t->proc_fd, path, O_RDONLY | O_CLOEXEC);
        }
        if (walk_one(t, &depth, pid, e->children_fd) < 0)
            return -1;
    }
    if (t->n_added == 0)
        return 0;
    while (t->n_cur + t->n_added > t->cap)
        if (grow(t) < 0)
            return -1;
    memcpy(t->cur + t->n_cur, t->added, t->n_added * sizeof *t->added);
    t->n_cur += t->n_added;
    t->n_added = 0;
    qsort(t->cur, t->n_cur, sizeof *t->cur, cmp_pid);
    return 0;
}

void proc_tree_rescan(proc_tree *t) { t->force_full = 1; }

int proc_tree_sample(proc_tree *t, proc_tree_totals *out)
{
    double now = mono_seconds();
    if (t->root_children_fd < 0 || t->force_full ||
        (t->multithreaded && now - t->last_full >= FULL_SCAN_PERIOD)) {
        if (full_scan(t) < 0)
            return -1;
        t->last_full = now;
        t->force_full = 0;
    } else if (walk_tree(t) < 0) {
        return -1;
    }
    proc_tree_totals sum = { 0 };
    double cpu_u = t->reaped_user, cpu_s = t->reaped_system;
    t->multithreaded = 0;
    for (size_t i = 0; i < t->n_cur; i++) {
        pentry *e = &t->cur[i];
        if (e->member == M_IN && !e->dead)
            add_process(t, e, &sum, &cpu_u, &cpu_s, &t->multithreaded);
    }
    /* Exited processes keep counting; a parent reaping a child between two reads can
     * make a sum dip for one sample, which the clamp hides. */
    sum.cpu_user_seconds = max_d(cpu_u, t->last.cpu_user_seconds);
    sum.cpu_system_seconds = max_d(cpu_s, t->last.cpu_system_seconds);
    sum.disk_read_bytes = max_u64(sum.disk_read_bytes + t->reaped_io.read_bytes, t->last.disk_read_bytes);
    sum.disk_write_bytes = max_u64(sum.disk_write_bytes + t->reaped_io.write_bytes, t->last.disk_write_bytes);
    sum.read_chars = max_u64(sum.read_chars + t->reaped_io.rchar, t->last.read_chars);
    sum.write_chars = max_u64(sum.write_chars + t->reaped_io.wchar, t->last.write_chars);
    t->last = sum;
    *out = sum;
    return 0;
}

size_t proc_tree_pids(const proc_tree *t, pid_t *pids, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < t->n_cur && k < max; i++)
        if (t->cur[i].member == M_IN && !t->cur[i].dead)
            pids[k++] = t->cur[i].pid;
    return k;
}

void proc_tree_fill_row(const proc_tree_totals *cur, const proc_tree_totals *prev,
                        double dt, uint64_t rss_peak, series_row *row)
{
    double cpu = cur->cpu_user_seconds + cur->cpu_system_seconds;
    row->v[COL_TREE_PROCESSES] = cur->processes;
    row->v[COL_TREE_THREADS] = cur->threads;
    row->v[COL_TREE_CPU_USER_SECONDS] = cur->cpu_user_seconds;
    row->v[COL_TREE_CPU_SYSTEM_SECONDS] = cur->cpu_system_seconds;
    row->v[COL_TREE_CPU_SECONDS] = cpu;
    row->v[COL_TREE_RSS_BYTES] = (double)cur->rss_bytes;
    row->v[COL_TREE_RSS_PEAK_BYTES] = (double)rss_peak;
    row->v[COL_TREE_DISK_READ_BYTES] = (double)cur->disk_read_bytes;
    row->v[COL_TREE_DISK_WRITE_BYTES] = (double)cur->disk_write_bytes;
    row->v[COL_TREE_READ_CHARS_BYTES] = (double)cur->read_chars;
    row->v[COL_TREE_WRITE_CHARS_BYTES] = (double)cur->write_chars;
    if (prev && dt > 0) {
        double pcpu = prev->cpu_user_seconds + prev->cpu_system_seconds;
        row->v[COL_TREE_CPU_PERCENT] = (cpu - pcpu) / dt * 100.0;
        row->v[COL_TREE_DISK_READ_BPS] =
            (double)(cur->disk_read_bytes - prev->disk_read_bytes) / dt;
        row->v[COL_TREE_DISK_WRITE_BPS] =
            (double)(cur->disk_write_bytes - prev->disk_write_bytes) / dt;
    }
}
