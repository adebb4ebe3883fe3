/* Internals shared by the local backend's engines (backend_local.c: processes;
 * backend_local_container.c: podman/docker). Not for other modules: they use backend.h. */
#ifndef ORCHESTRATOR_BACKEND_LOCAL_H
#define ORCHESTRATOR_BACKEND_LOCAL_H

#include <stddef.h>
#include <sys/types.h>

#include "orchestrator/backend.h"
#include "orchestrator/config.h"

typedef struct local_child {
    long long job_id;
    pid_t pid;
    int reaped;
    int status;          /* waitpid status once reaped */
} local_child;

typedef struct local_backend {
    const config *cfg;   /* borrowed: outlives the backend */
    char *work_root;     /* OUTPUT/work */
    char *config_dir;    /* relative program paths resolve here */
    local_child *children;
    size_t n_children, cap_children;
} local_backend;

/* OUTPUT/work/TYPE/TAG/REP for a job; caller frees. */
char *local_job_workdir(const local_backend *lb, const job *j);

/* The monitor's options for a job: [monitor_args] --result-url URL --instance-type T
 * --cmd ARGV... (NULL-terminated, caller frees each and the array). */
char **local_monitor_argv(const local_backend *lb, const job *j, const char *workdir);

/* The job's environment additions as NAME=VALUE (NULL-terminated, caller frees). */
char **local_job_env(const local_backend *lb, const job *j);

void local_strv_free(char **v);

/* The container engine's operations (podman or docker, from cfg->local.engine). */
int local_container_submit(local_backend *lb, job *j, char *err, size_t errlen);
int local_container_poll(local_backend *lb, job **jobs, size_t n, backend_status *st,
                         char *err, size_t errlen);
int local_container_cancel(local_backend *lb, job *j, char *err, size_t errlen);
int local_container_recover(local_backend *lb, job *j, char *err, size_t errlen);
int local_container_fetch_log(local_backend *lb, const job *j, const char *path, char *err,
                              size_t errlen);

#endif
