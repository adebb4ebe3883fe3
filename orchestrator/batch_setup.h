/* `orchestrate setup` and `orchestrate teardown` for the batch backend: create or delete the
 * compute environments, job queues and job definitions a config needs (names in
 * batch_names.h), without CDK or CloudFormation. Both are idempotent: what exists is kept
 * (setup) and what is gone is skipped (teardown), so either can be rerun after a failure.
 *
 * What setup needs and where it comes from:
 *   subnets, security groups  batch.subnets / batch.security_groups, else the default VPC's
 *                             default-for-AZ subnets and its "default" group (EC2)
 *   instance role             batch.instance_role, else the instance profile ecsInstanceRole
 *                             (IAM GetInstanceProfile)
 *   service role              batch.service_role_arn, else the role AWSBatchServiceRole when
 *                             it exists (IAM GetRole), else Batch's service-linked role
 *
 * Progress goes to the log (info); errors are returned once in err. */
#ifndef ORCHESTRATOR_BATCH_SETUP_H
#define ORCHESTRATOR_BATCH_SETUP_H

#include <stddef.h>

#include "orchestrator/config.h"

typedef struct batch_setup_options {
    double wait_seconds;      /* how long to wait for a resource to settle; 0: 600 */
    int keep_definitions;     /* teardown: leave job definitions registered */
} batch_setup_options;

int batch_setup(const config *cfg, const batch_setup_options *opt, char *err, size_t errlen);
int batch_teardown(const config *cfg, const batch_setup_options *opt, char *err,
                   size_t errlen);

#endif
