/* Job states by name (the journal stores names, not numbers) and the job's owned fields. */
#include "orchestrator/job.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
    [JOB_PLANNED] = "planned",     [JOB_SUBMITTED] = "submitted", [JOB_RUNNING] = "running",
    [JOB_SUCCEEDED] = "succeeded", [JOB_FAILED] = "failed",       [JOB_CANCELLED] = "cancelled",
};

const char *job_state_name(job_state s)
{
    if ((int)s < 0 || (size_t)s >= sizeof state_names / sizeof state_names[0])
        return "unknown";
    return state_names[s];
}

int job_state_parse(const char *name, job_state *out)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
        if (name && strcmp(name, state_names[i]) == 0) {
            *out = (job_state)i;
            return 0;
        }
    }
    return -1;
}

int job_state_is_final(job_state s)
{
    return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELLED;
}

static void free_strv(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void job_free_fields(job *j)
{
    free(j->experiment);
    free(j->instance_type);
    free(j->point_tag);
    free_strv(j->argv);
    free_strv(j->env);
    free(j->backend_id);
    free(j->result_url);
    memset(j, 0, sizeof *j);
}
