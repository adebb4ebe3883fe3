#include "monitor/sample_net.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "monitor/procfs_parse.h"
#include "monitor/fileio.h"

#define MAX_IFACES 64

typedef struct iface {
    int ifindex;
    size_t col;               /* first of its 4 extra columns */
} iface;

typedef struct net_totals {
    uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
} net_totals;

struct net_sampler {
    struct nl_sock *sk;
    int snmp_fd;
    uint32_t seq;
    iface ifaces[MAX_IFACES];
    size_t n_ifaces;
    net_totals last;
    int have_last;
    double last_mono;
    double last_snmp_mono;
    int have_snmp;
    int loopback[4];          /* ifindexes of loopback links (lo is 1 in every netns) */
    size_t n_loopback;
    int use_stats;            /* RTM_GETSTATS works (Linux >= 4.7) */
    char buf[65536];          /* last: not zeroed at open */
};

static int is_loopback(const net_sampler *n, int ifindex)
{
    for (size_t i = 0; i < n->n_loopback; i++)
        if (n->loopback[i] == ifindex)
            return 1;
    return 0;
}

typedef void (*link_cb)(net_sampler *n, int ifindex, unsigned flags, const char *name,
                        const struct rtnl_link_stats64 *st, void *ud);

/* RTM_GETLINK (names and flags, once at start) or RTM_GETSTATS asking for the 64-bit
 * link counters only: per sample the kernel then formats a few hundred bytes per
 * interface instead of the whole link description. */
static int send_dump(net_sampler *n, int type)
{
    struct {
        struct nlmsghdr nh;
        union {
            struct ifinfomsg ifi;
            struct if_stats_msg ifs;
        } u;
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_type = (unsigned short)type;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.nh.nlmsg_seq = ++n->seq;
    if (type == RTM_GETSTATS) {
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifs);
        req.u.ifs.family = AF_UNSPEC;
        req.u.ifs.filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
    } else {
        req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifi);
        req.u.ifi.ifi_family = AF_UNSPEC;
    }
    ssize_t w = send(nl_socket_get_fd(n->sk), &req, req.nh.nlmsg_len, 0);
    return w == (ssize_t)req.nh.nlmsg_len ? 0 : -1;
}

/* Handles one RTM_NEWLINK message; returns 1 at the end of the dump, -1 on error. */
static int handle_msg(net_sampler *n, struct nlmsghdr *nh, link_cb cb, void *ud)
{
    if (nh->nlmsg_type == NLMSG_DONE)
        return 1;
    if (nh->nlmsg_type == NLMSG_ERROR)
        return -1;
    if (nh->nlmsg_seq != n->seq)
        return 0;
    if (nh->nlmsg_type == RTM_NEWSTATS) {
        struct nlattr *sb[IFLA_STATS_MAX + 1];
        if (nlmsg_parse(nh, sizeof(struct if_stats_msg), sb, IFLA_STATS_MAX, NULL) < 0 ||
            !sb[IFLA_STATS_LINK_64] ||
            nla_len(sb[IFLA_STATS_LINK_64]) < (int)sizeof(struct rtnl_link_stats64))
            return 0;
        const struct if_stats_msg *ifs = nlmsg_data(nh);
        struct rtnl_link_stats64 st;
        memcpy(&st, nla_data(sb[IFLA_STATS_LINK_64]), sizeof st);
        cb(n, (int)ifs->ifindex, is_loopback(n, (int)ifs->ifindex) ? IFF_LOOPBACK : 0, "",
           &st, ud);
        return 0;
    }
    if (nh->nlmsg_type != RTM_NEWLINK)
        return 0;
    struct nlattr *tb[IFLA_MAX + 1];
    if (nlmsg_parse(nh, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0)
        return 0;
    const struct ifinfomsg *ifi = nlmsg_data(nh);
    if (!tb[IFLA_STATS64] || nla_len(tb[IFLA_STATS64]) < (int)sizeof(struct rtnl_link_stats64))
        return 0;
    struct rtnl_link_stats64 st;
    memcpy(&st, nla_data(tb[IFLA_STATS64]), sizeof st); /* attribute data may be unaligned */
    const char *name = tb[IFLA_IFNAME] ? nla_get_string(tb[IFLA_IFNAME]) : "";
    cb(n, ifi->ifi_index, ifi->ifi_flags, name, &st, ud);
    return 0;
}

/* One dump (RTM_GETLINK or RTM_GETSTATS), calling cb for every link. 0 or -1. */
static int dump_links(net_sampler *n, int type, link_cb cb, void *ud)
{
    if (send_dump(n, type) < 0)
        return -1;
    int fd = nl_socket_get_fd(n->sk);
    for (;;) {
        ssize_t got = recv(fd, n->buf, sizeof n->buf, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        int rem = (int)got;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)n->buf; nlmsg_ok(nh, rem);
             nh = nlmsg_next(nh, &rem)) {
            int r = handle_msg(n, nh, cb, ud);
            if (r != 0)
                return r > 0 ? 0 : -1;
        }
    }
}

static void column_name(char *out, size_t outlen, const char *ifname, const char *what)
{
    char clean[IF_NAMESIZE + 1];
    size_t i = 0;
    for (; ifname[i] && i < IF_NAMESIZE; i++)
        clean[i] = isalnum((unsigned char)ifname[i]) ? ifname[i] : '_';
    clean[i] = '\0';
    snprintf(out, outlen, "net_%s_%s", clean, what);
}

/* The name and flags of a link an RTM_GETSTATS dump named by index only. 0, or -1 when
 * it is gone. */
static int link_name_flags(const net_sampler *n, int ifindex, char *name, unsigned *flags)
{
    struct ifreq r;
    memset(&r, 0, sizeof r);
    r.ifr_ifindex = ifindex;
    int fd = nl_socket_get_fd(n->sk); /* any socket answers these */
    if (ioctl(fd, SIOCGIFNAME, &r) < 0)
        return -1;
    memcpy(name, r.ifr_name, IF_NAMESIZE);
    name[IF_NAMESIZE] = '\0';
    if (ioctl(fd, SIOCGIFFLAGS, &r) < 0)
        return -1;
    *flags = (unsigned short)r.ifr_flags;
    return 0;
}

static void register_link(net_sampler *n, int ifindex, unsigned flags, const char *name,
                          const struct rtnl_link_stats64 *st, void *ud)
{
    series_layout *layout = ud;
    static const char *const what[4] = { "rx_bytes", "tx_bytes", "rx_packets", "tx_packets" };
    char ifname[IF_NAMESIZE + 1];
    if (!*name) { /* from RTM_GETSTATS */
        if (link_name_flags(n, ifindex, ifname, &flags) < 0)
            return;
        name = ifname;
    }
    if ((flags & IFF_LOOPBACK) && n->n_loopback < 4)
        n->loopback[n->n_loopback++] = ifindex;
    if (n->n_ifaces == MAX_IFACES)
        return;
    size_t col = layout->n_extra;
    for (int i = 0; i < 4; i++) {
        char cname[64];
        column_name(cname, sizeof cname, name, what[i]);
        if (series_layout_add(layout, cname, 0) < 0)
            return;
    }
    n->ifaces[n->n_ifaces].ifindex = ifindex;
    n->ifaces[n->n_ifaces].col = col;
    n->n_ifaces++;
}

typedef struct sample_ctx {
    series_row *row;
    net_totals sum;
} sample_ctx;

int net_sampler_open(const char *proc_root, series_layout *layout, net_sampler **out)
{
    net_sampler *n = malloc(sizeof *n);
    if (!n)
        return -1;
    /* zeroed up to the buffer only: calloc would write, and so fault in, every page of
     * a buffer whose pages are touched only as far as reads fill it */
    memset(n, 0, offsetof(net_sampler, buf));
    char path[512];
    snprintf(path, sizeof path, "%s/net/snmp", proc_root);
    n->snmp_fd = open_cloexec(path, O_RDONLY, 0);
    n->sk = nl_socket_alloc();
    if (!n->sk || nl_connect(n->sk, NETLINK_ROUTE) < 0) {
        net_sampler_close(n);
        return -1;
    }
    /* The links from an RTM_GETSTATS dump of their 64-bit counters only, their names and
     * flags by ioctl: an RTM_GETLINK dump has the kernel describe every link in full
     * (~1.5 KB each: addresses, IPv6 settings, every statistic), the costliest step of
     * the monitor's start-up. A kernel before 4.7 has no RTM_GETSTATS: RTM_GETLINK then,
     * at start and for every sample. */
    n->use_stats = 1;
    if (dump_links(n, RTM_GETSTATS, register_link, layout) < 0 && n->n_ifaces == 0) {
        n->use_stats = 0;
        n->n_loopback = 0;
        if (dump_links(n, RTM_GETLINK, register_link, layout) < 0) {
            net_sampler_close(n);
            return -1;
        }
    }
    *out = n;
    return 0;
}

void net_sampler_close(net_sampler *n)
{
    if (!n)
        return;
    if (n->sk)
        nl_socket_free(n->sk);
    if (n->snmp_fd >= 0)
        close(n->snmp_fd);
    free(n);
}

static void sample_link(net_sampler *n, int ifindex, unsigned flags, const char *name,
                        const struct rtnl_link_stats64 *st, void *ud)
{
    sample_ctx *ctx = ud;
    if (!(flags & IFF_LOOPBACK)) {
        ctx->sum.rx_bytes += st->rx_bytes;
        ctx->sum.tx_bytes += st->tx_bytes;
        ctx->sum.rx_packets += st->rx_packets;
        ctx->sum.tx_packets += st->tx_packets;
    }
    for (size_t i = 0; i < n->n_ifaces; i++) {
        if (n->ifaces[i].ifindex != ifindex || n->ifaces[i].col + 4 > ctx->row->n_extra)
            continue;
        double *v = ctx->row->extra + n->ifaces[i].col;
        v[0] = (double)st->rx_bytes;
        v[1] = (double)st->tx_bytes;
        v[2] = (double)st->rx_packets;
        v[3] = (double)st->tx_packets;
    }
}

int parse_snmp_retrans(const char *buf, size_t len, uint64_t *out)
{
    /* Two "Tcp:" lines: names, then values in the same order. */
    const char *end = buf + len, *names = NULL;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *lend = nl ? nl : end;
        if (lend - line > 4 && memcmp(line, "Tcp:", 4) == 0) {
            if (!names) {
                names = line;
            } else {
                int idx = -1, k = 0;
                const char *nend = memchr(names, '\n', (size_t)(end - names));
                for (const char *s = names + 4; s && s < nend; k++) {
                    while (s < nend && *s == ' ')
                        s++;
                    const char *e = s;
                    while (e < nend && *e != ' ')
                        e++;
                    if (e - s == 11 && memcmp(s, "RetransSegs", 11) == 0)
                        idx = k;
                    s = e;
                    if (s >= nend)
                        break;
                }
                if (idx < 0)
                    return -1;
                const char *p = line + 4;
                for (int i = 0; i <= idx; i++) {
                    while (p < lend && *p == ' ')
                        p++;
                    if (p < lend && *p == '-') /* MaxConn is -1 */
                        p++;
                    uint64_t v;
                    if (scan_u64(&p, lend, &v) < 0)
                        return -1;
                    if (i == idx) {
                        *out = v;
                        return 0;
                    }
                }
                return -1;
            }
        }
        line = lend + 1;
    }
    return -1;
}

void net_sampler_sample(net_sampler *n, double now, int force, series_row *row)
{
    sample_ctx ctx = { .row = row };
    double dt = now - n->last_mono;
    if (dump_links(n, n->use_stats ? RTM_GETSTATS : RTM_GETLINK, sample_link, &ctx) == 0) {
        row->v[COL_NET_RX_BYTES] = (double)ctx.sum.rx_bytes;
        row->v[COL_NET_TX_BYTES] = (double)ctx.sum.tx_bytes;
        row->v[COL_NET_RX_PACKETS] = (double)ctx.sum.rx_packets;
        row->v[COL_NET_TX_PACKETS] = (double)ctx.sum.tx_packets;
        if (n->have_last && dt > 0) {
            /* a vanished interface can make totals fall: no negative rates */
            double rx = (double)ctx.sum.rx_bytes - (double)n->last.rx_bytes;
            double tx = (double)ctx.sum.tx_bytes - (double)n->last.tx_bytes;
            row->v[COL_NET_RX_BPS] = rx > 0 ? rx / dt : 0;
            row->v[COL_NET_TX_BPS] = tx > 0 ? tx / dt : 0;
        }
        n->last = ctx.sum;
        n->have_last = 1;
        n->last_mono = now;
    }
    int snmp_due = force || !n->have_snmp || now - n->last_snmp_mono >= NET_SNMP_PERIOD;
    if (n->snmp_fd >= 0 && snmp_due) {
        n->last_snmp_mono = now;
        n->have_snmp = 1;
        ssize_t got = pread(n->snmp_fd, n->buf, sizeof n->buf - 1, 0);
        uint64_t v;
        if (got > 0 && parse_snmp_retrans(n->buf, (size_t)got, &v) == 0)
            row->v[COL_NET_TCP_RETRANS] = (double)v;
    }
}

void net_sampler_totals(const net_sampler *n, uint64_t *rx_bytes, uint64_t *tx_bytes)
{
    *rx_bytes = n->last.rx_bytes;
    *tx_bytes = n->last.tx_bytes;
}
