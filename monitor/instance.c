#include "monitor/instance.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "monitor/fileio.h"
#include "monitor/procfs_parse.h"
#include "uploader/imds.h"

/* The first line of a small file, trimmed, into out; 0 or -1. */
static int read_line(const char *dir, const char *name, char *out, size_t outlen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = NULL;
    if (read_file(path, &text, NULL) < 0)
        return -1;
    size_t n = strcspn(text, "\r\n");
    while (n > 0 && text[n - 1] == ' ')
        n--;
    if (n == 0 || n >= outlen) {
        free(text);
        return -1;
    }
    memcpy(out, text, n);
    out[n] = '\0';
    free(text);
    return 0;
}

/* EC2 types look like "m5.large", "c7gn.16xlarge", "u-6tb1.metal". */
static int looks_like_type(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1] || strchr(s, ' '))
        return 0;
    return 1;
}

static void find_type(const char *given, const char *dmi_dir, instance_facts *f)
{
    if (given && *given) {
        snprintf(f->type, sizeof f->type, "%s", given);
        snprintf(f->type_source, sizeof f->type_source, "option");
        return;
    }
    char vendor[128] = "", product[128] = "";
    read_line(dmi_dir, "sys_vendor", vendor, sizeof vendor);
    read_line(dmi_dir, "product_name", product, sizeof product);
    if (strstr(vendor, "Amazon") && looks_like_type(product)) {
        snprintf(f->type, sizeof f->type, "%s", product);
        snprintf(f->type_source, sizeof f->type_source, "dmi");
        return;
    }
    /* Only on what says it is EC2: elsewhere IMDS would cost its whole timeout. */
    if (!strstr(vendor, "Amazon") && !strstr(vendor, "Xen"))
        return;
    if (!imds_enabled())
        return;
    strbuf sb = STRBUF_INIT, token = STRBUF_INIT;
    char err[256];
    if (imds_get(&token, "/latest/meta-data/instance-type", &sb, err, sizeof err) == 0 &&
        looks_like_type(sb_str(&sb))) {
        snprintf(f->type, sizeof f->type, "%s", sb_str(&sb));
        snprintf(f->type_source, sizeof f->type_source, "imds");
    }
    sb_free(&sb);
    sb_free(&token);
}

void cpuinfo_model(const char *cpuinfo, char *out, size_t outlen)
{
    out[0] = '\0';
    static const char *const keys[] = { "model name", "Model", "cpu model", "uarch" };
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        size_t klen = strlen(keys[k]);
        for (const char *line = cpuinfo; line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t llen = nl ? (size_t)(nl - line) : strlen(line);
            if (llen > klen && strncmp(line, keys[k], klen) == 0 &&
                (line[klen] == ' ' || line[klen] == '\t' || line[klen] == ':')) {
                const char *colon = memchr(line, ':', llen);
                if (colon) {
                    const char *v = colon + 1;
                    while (*v == ' ' || *v == '\t')
                        v++;
                    size_t vlen = llen - (size_t)(v - line);
                    if (vlen >= outlen)
                        vlen = outlen - 1;
                    memcpy(out, v, vlen);
                    out[vlen] = '\0';
                    return;
                }
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    /* ARM cpuinfo has only implementer/part numbers */
    const char *impl = strstr(cpuinfo, "CPU implementer");
    const char *part = strstr(cpuinfo, "CPU part");
    if (impl && part) {
        const char *a = strchr(impl, ':'), *b = strchr(part, ':');
        unsigned long ai = a ? strtoul(a + 1, NULL, 0) : 0, bi = b ? strtoul(b + 1, NULL, 0) : 0;
        const char *name = "";
        if (ai == 0x41 && bi == 0xd0c)
            name = " (Neoverse-N1, Graviton2)";
        else if (ai == 0x41 && bi == 0xd40)
            name = " (Neoverse-V1, Graviton3)";
        else if (ai == 0x41 && bi == 0xd4f)
            name = " (Neoverse-V2, Graviton4)";
        snprintf(out, outlen, "ARM implementer 0x%lx part 0x%lx%s", ai, bi, name);
    }
}

static uint64_t read_mem_total(const char *proc_root)
{
    char path[512], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/meminfo", proc_root);
    uint64_t kb = 0;
    if (read_file(path, &text, &len) < 0 || parse_keyed_u64(text, len, "MemTotal", &kb) < 0)
        kb = 0;
    free(text);
    return kb * 1024;
}

void instance_facts_gather(const char *given_type, const char *dmi_dir, const char *proc_root,
                           uint64_t mem_total, instance_facts *f)
{
    memset(f, 0, sizeof *f);
    find_type(given_type, dmi_dir, f);
    f->vcpus = sysconf(_SC_NPROCESSORS_ONLN);
    f->memory_bytes = mem_total ? mem_total : read_mem_total(proc_root);
    /* only the first CPU's block: the kernel formats /proc/cpuinfo record by record as it
     * is read, until the request is filled, and on a machine with hundreds of CPUs the
     * whole file costs milliseconds. 1 KB holds x86's model name and ARM's implementer
     * and part lines, and makes the kernel format one x86 record (~1.5 KB) only. */
    char path[512];
    snprintf(path, sizeof path, "%s/cpuinfo", proc_root);
    char head[1024];
    int fd = open_cloexec(path, O_RDONLY, 0);
    if (fd >= 0) {
        ssize_t n = read(fd, head, sizeof head - 1);
        close(fd);
        if (n > 0) {
            head[n] = '\0';
            cpuinfo_model(head, f->cpu_model, sizeof f->cpu_model);
        }
    }
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(f->architecture, sizeof f->architecture, "%s", u.machine);
}
