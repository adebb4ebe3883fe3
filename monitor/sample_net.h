/* Network of the monitor's network namespace (the container's own): per-interface and
 * total bytes and packets from an rtnetlink link dump (IFLA_STATS64, parsed with libnl),
 * and TCP retransmitted segments from /proc/net/snmp. Totals leave out loopback; the lo
 * figures are still in its per-interface columns.
 *
 * The interfaces that get their own columns are the ones present at start (the column set
 * is fixed when the series starts); interfaces that appear later count in the totals.
 * The dump is read into a buffer owned by the sampler: nothing is allocated per sample.
 *
 * Ownership: net_sampler_open() allocates, net_sampler_close() frees. */
#ifndef MONITOR_SAMPLE_NET_H
#define MONITOR_SAMPLE_NET_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/series.h"

typedef struct net_sampler net_sampler;

/* Opens the netlink socket and names the per-interface columns in layout (4 per
 * interface: net_IF_rx_bytes, _tx_bytes, _rx_packets, _tx_packets). Returns 0, or -1
 * when rtnetlink is unusable (the net_* columns then stay empty). */
int  net_sampler_open(const char *proc_root, series_layout *layout, net_sampler **out);
void net_sampler_close(net_sampler *n);
/* now: monotonic seconds; rates are against this sampler's previous call. The TCP
 * retransmit counter is read at most every NET_SNMP_PERIOD seconds (empty in between)
 * unless force is set: /proc/net/snmp is the costliest file of a sample, as the kernel
 * formats every protocol's counters to produce it. */
#define NET_SNMP_PERIOD 5.0
void net_sampler_sample(net_sampler *n, double now, int force, series_row *row);
/* Totals (without loopback) of the last sample. */
void net_sampler_totals(const net_sampler *n, uint64_t *rx_bytes, uint64_t *tx_bytes);

/* /proc/net/snmp's Tcp RetransSegs. 0 or -1. */
int parse_snmp_retrans(const char *buf, size_t len, uint64_t *out);

#endif
