/* libFuzzer target: the /proc, cgroup and nvidia-smi text parsers of monitor_system read
 * what the kernel (or a container runtime's fake /proc, e.g. lxcfs) and helper tools
 * print; none may read past the buffer or crash on odd input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/procfs_parse.h"
#include "monitor/sample_cgroup.h"
#include "monitor/sample_gpu.h"
#include "monitor/sample_host.h"
#include "monitor/sample_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    proc_stat_fields st;
    parse_proc_stat(buf, size, &st);
    proc_io_fields io;
    parse_proc_io(buf, size, &io);
    uint64_t v, r, w;
    parse_keyed_u64(buf, size, "total_inactive_file", &v);
    double d;
    parse_psi_some_avg10(buf, size, &d);
    host_cpu_times c;
    parse_host_cpu_line(buf, size, 100, &c);
    parse_snmp_retrans(buf, size, &v);
    parse_io_stat(buf, size, &r, &w);
    parse_blkio_bytes(buf, size, &r, &w);
    parse_cpu_max(buf, size);
    gpu_reading g;
    parse_gpu_line(buf, size, &g);
    free(buf);
    /* find_cgroup_path takes a NUL-terminated string */
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
        char out[256];
        find_cgroup_path(s, "memory", out, sizeof out);
        find_cgroup_path(s, NULL, out, sizeof out);
        free(s);
    }
    return 0;
}
