/* Facts about the machine, gathered once for summary.json: instance type (--instance-type
 * or MONITOR_INSTANCE_TYPE, else the DMI product name that Nitro instances fill, else
 * IMDSv2 when the DMI vendor says Amazon), vCPUs, memory, CPU model, architecture, and
 * the AWS Batch / ECS job identity from the environment. */
#ifndef MONITOR_INSTANCE_H
#define MONITOR_INSTANCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct instance_facts {
    char type[128];            /* "" when unknown */
    char type_source[16];     /* "option", "dmi", "imds", "" */
    long vcpus;
    uint64_t memory_bytes;
    char cpu_model[128];
    char architecture[72];
} instance_facts;

/* given_type: the option/environment value or NULL. dmi_dir: "/sys/devices/virtual/dmi/id"
 * (tests pass a fixture); proc_root: "/proc"; mem_total: MemTotal in bytes when the
 * caller already knows it, else 0 (read from proc_root). Never fails: unknown facts stay
 * empty. */
void instance_facts_gather(const char *given_type, const char *dmi_dir, const char *proc_root,
                           uint64_t mem_total, instance_facts *out);

/* The cpuinfo "model name" (x86) or a "CPU implementer/part" description (ARM). */
void cpuinfo_model(const char *cpuinfo, char *out, size_t outlen);

#endif
