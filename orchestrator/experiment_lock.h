/* One orchestrator at a time submits and records an experiment's jobs: OUTPUT/.lock is
 * flocked (the kernel releases it when the process dies, however it dies) and holds the
 * owner's PID, so a second `run` is refused, `kill` can take the experiment over (it stops
 * the running orchestrator with SIGTERM, which leaves the journal consistent, and waits for
 * the lock), and `report` can tell that a run is still collecting. */
#ifndef ORCHESTRATOR_EXPERIMENT_LOCK_H
#define ORCHESTRATOR_EXPERIMENT_LOCK_H

#include <stddef.h>

typedef enum lock_mode {
    LOCK_REFUSE_BUSY = 0,   /* held by another: -1 with err */
    LOCK_TAKE_OVER,         /* held by another: SIGTERM it, wait up to 30 s */
    LOCK_TRY                /* held by another: 0 with *fd = -1 and *owner set */
} lock_mode;

/* Takes OUTPUT_DIR/.lock. 0 with *fd (close it to release; -1 under LOCK_TRY when busy)
 * and *owner (the other holder's pid, 0 when the lock was free), or -1 with err. */
int experiment_lock(const char *output_dir, lock_mode mode, int *fd, long *owner, char *err,
                    size_t errlen);

#endif
