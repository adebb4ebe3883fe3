/* The /proc text parsers: stat (odd comm names), io, keyed files, PSI, /proc/stat's cpu
 * line, /proc/net/snmp, and nvidia-smi's CSV lines. */
#include <math.h>

#include "monitor/procfs_parse.h"
#include "monitor/sample_gpu.h"
#include "monitor/sample_host.h"
#include "monitor/sample_net.h"
#include "tests/unit/unit.h"

TEST(proc_stat)
{
    const char *s = "4242 (we ird) (name)) S 17 4242 4242 0 -1 4194560 123 0 0 0 "
                    "250 30 7 3 20 0 3 0 987654 10485760 2560 18446744073709551615\n";
    proc_stat_fields f;
    CHECK_INT(parse_proc_stat(s, strlen(s), &f), 0);
    CHECK_INT(f.ppid, 17);
    CHECK(f.state == 'S');
    CHECK_INT(f.utime, 250);
    CHECK_INT(f.stime, 30);
    CHECK_INT(f.cutime, 7);
    CHECK_INT(f.cstime, 3);
    CHECK_INT(f.num_threads, 3);
    CHECK_INT(f.starttime, 987654);
    CHECK_INT(f.rss_pages, 2560);
    CHECK_INT(parse_proc_stat("12 (x", 5, &f), -1);
    CHECK_INT(parse_proc_stat("12 (x) S 1 2", 12, &f), -1); /* truncated */
    CHECK_INT(parse_proc_stat("", 0, &f), -1);
}

TEST(proc_io)
{
    const char *s = "rchar: 100\nwchar: 200\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\n"
                    "write_bytes: 8192\ncancelled_write_bytes: 0\n";
    proc_io_fields io;
    CHECK_INT(parse_proc_io(s, strlen(s), &io), 0);
    CHECK_INT(io.rchar, 100);
    CHECK_INT(io.wchar, 200);
    CHECK_INT(io.read_bytes, 4096);
    CHECK_INT(io.write_bytes, 8192);
    CHECK_INT(parse_proc_io("junk", 4, &io), -1);
}

TEST(keyed_and_psi)
{
    const char *mi = "MemTotal:       24684092 kB\nMemFree:  1 kB\nMemAvailable:   23995864 kB\n";
    uint64_t v;
    CHECK_INT(parse_keyed_u64(mi, strlen(mi), "MemAvailable", &v), 0);
    CHECK_INT(v, 23995864);
    CHECK_INT(parse_keyed_u64(mi, strlen(mi), "Mem", &v), -1); /* whole keys only */
    CHECK_INT(parse_keyed_u64(mi, strlen(mi), "Cached", &v), -1);
    const char *psi = "some avg10=12.34 avg60=1.00 avg300=0.00 total=5\nfull avg10=1.00\n";
    double d;
    CHECK_INT(parse_psi_some_avg10(psi, strlen(psi), &d), 0);
    CHECK_NEAR(d, 12.34, 1e-9);
    CHECK_INT(parse_psi_some_avg10("full avg10=1", 12, &d), -1);
    uint64_t big;
    const char *p = "99999999999999999999999", *e = p + strlen(p);
    CHECK_INT(scan_u64(&p, e, &big), 0);
    CHECK(big == UINT64_MAX); /* saturates */
}

TEST(host_cpu_line)
{
    const char *s = "cpu  1000 50 300 8000 100 10 20 5 0 0\ncpu0 1 2 3 4\n";
    host_cpu_times c;
    CHECK_INT(parse_host_cpu_line(s, strlen(s), 100, &c), 0);
    CHECK_NEAR(c.user, 10.0, 1e-9);
    CHECK_NEAR(c.idle, 80.0, 1e-9);
    CHECK_NEAR(c.steal, 0.05, 1e-9);
    CHECK_INT(parse_host_cpu_line("cpu0 1 2 3 4\n", 13, 100, &c), -1);
    CHECK_INT(parse_host_cpu_line("cpu  1 2\n", 9, 100, &c), -1);
}

TEST(snmp_retrans)
{
    const char *s =
        "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
        "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
        "EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
        "Tcp: 1 200 120000 -1 10 5 0 1 2 1000 900 37 0 3 0\n"
        "Udp: InDatagrams\nUdp: 5\n";
    uint64_t v;
    CHECK_INT(parse_snmp_retrans(s, strlen(s), &v), 0);
    CHECK_INT(v, 37);
    CHECK_INT(parse_snmp_retrans("Tcp: A B\nTcp: 1 2\n", 18, &v), -1);
}

TEST(gpu_lines)
{
    gpu_reading r;
    const char *s = "1, 87, 40536, 81559, 312.45";
    CHECK_INT(parse_gpu_line(s, strlen(s), &r), 0);
    CHECK_INT(r.index, 1);
    CHECK_NEAR(r.util_percent, 87, 0);
    CHECK_NEAR(r.mem_used_bytes, 40536.0 * 1048576, 0);
    CHECK_NEAR(r.power_watts, 312.45, 1e-9);
    s = "0, [N/A], 10, 20, [Not Supported]";
    CHECK_INT(parse_gpu_line(s, strlen(s), &r), 0);
    CHECK(isnan(r.util_percent) && isnan(r.power_watts));
    CHECK_INT(parse_gpu_line("x, 1, 2, 3, 4", 13, &r), -1);
    CHECK_INT(parse_gpu_line("0, 1", 4, &r), -1);
}

int main(void)
{
    RUN(proc_stat);
    RUN(proc_io);
    RUN(keyed_and_psi);
    RUN(host_cpu_line);
    RUN(snmp_retrans);
    RUN(gpu_lines);
    return unit_done();
}
