/* Instance facts: the type from the option, from DMI on Nitro, none elsewhere (without
 * asking IMDS off EC2); CPU model lines of x86 and ARM cpuinfo. */
#include <stdlib.h>
#include <unistd.h>

#include "monitor/instance.h"
#include "tests/unit/unit.h"

#define FIX "tests/unit/monitor/fixtures/"

TEST(type_sources)
{
    instance_facts f;
    instance_facts_gather("m7i.large", FIX "dmi_nitro", "/proc", 0, &f);
    CHECK_STR(f.type, "m7i.large");
    CHECK_STR(f.type_source, "option");
    instance_facts_gather(NULL, FIX "dmi_nitro", "/proc", 0, &f);
    CHECK_STR(f.type, "c7g.2xlarge");
    CHECK_STR(f.type_source, "dmi");
    instance_facts_gather(NULL, FIX "dmi_other", "/proc", 0, &f);
    CHECK_STR(f.type, "");
    CHECK_STR(f.type_source, "");
    CHECK(f.vcpus >= 1);
    CHECK(f.memory_bytes > 0);
    CHECK(f.architecture[0] != '\0');
    instance_facts_gather(NULL, FIX "dmi_other", "/proc", 12345 * 1024, &f);
    CHECK_INT(f.memory_bytes, 12345 * 1024); /* the caller's MemTotal, not read again */
}

TEST(cpu_models)
{
    char out[128];
    cpuinfo_model("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) "
                  "Platinum 8488C\nflags\t\t: fpu\n", out, sizeof out);
    CHECK_STR(out, "Intel(R) Xeon(R) Platinum 8488C");
    cpuinfo_model("processor\t: 0\nBogoMIPS\t: 243.75\nCPU implementer\t: 0x41\n"
                  "CPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\n", out, sizeof out);
    CHECK_STR(out, "ARM implementer 0x41 part 0xd40 (Neoverse-V1, Graviton3)");
    cpuinfo_model("nothing useful\n", out, sizeof out);
    CHECK_STR(out, "");
}

int main(void)
{
    /* never reach out to a metadata service from a unit test */
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    RUN(type_sources);
    RUN(cpu_models);
    return unit_done();
}
