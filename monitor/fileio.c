#include "monitor/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int open_cloexec(const char *path, int flags, mode_t mode)
{
    return openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

int write_all_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}
