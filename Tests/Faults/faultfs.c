// Fault injection for Quarry's tests (LD_PRELOAD): counts every write, sync,
// truncate and rename that touches files under one directory, and makes the
// N-th of them fail, the way a dying disk or a full one would. Quarry itself
// carries no test hook: the seam is the C library, which SQLite, the vector
// file and Foundation all write through.
//
//   cc -shared -fPIC -O1 -o faultfs.so Tests/Faults/faultfs.c -ldl
//   QUARRY_FAULT_DIR=/path/to/index/dir QUARRY_FAULT_AT=7 LD_PRELOAD=./faultfs.so quarry index ...
//
// QUARRY_FAULT_DIR    only operations on paths under this directory count
// QUARRY_FAULT_AT     the operation (1-based) to fail; 0 or unset: count only
// QUARRY_FAULT_ERRNO  EIO (default), ENOSPC or EROFS
// QUARRY_FAULT_STICKY 1: every counted operation after the N-th fails too (a full disk)
// QUARRY_FAULT_READONLY 1: opening a file under the directory for writing fails
//                     with EROFS, as on a read-only mount (root ignores chmod)
// QUARRY_FAULT_LOG    file that receives "<count> <first failed operation>" at exit
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *fault_dir;
static size_t fault_dir_length;
static long fault_at;
static int fault_errno = EIO;
static int fault_sticky;
static int fault_readonly;
static long operations;
static char failed_operation[64];

__attribute__((constructor)) static void fault_setup(void) {
    fault_dir = getenv("QUARRY_FAULT_DIR");
    fault_dir_length = fault_dir ? strlen(fault_dir) : 0;
    const char *at = getenv("QUARRY_FAULT_AT");
    fault_at = at ? atol(at) : 0;
    const char *code = getenv("QUARRY_FAULT_ERRNO");
    if (code && strcmp(code, "ENOSPC") == 0) fault_errno = ENOSPC;
    if (code && strcmp(code, "EROFS") == 0) fault_errno = EROFS;
    const char *sticky = getenv("QUARRY_FAULT_STICKY");
    fault_sticky = sticky && strcmp(sticky, "1") == 0;
    const char *readonly = getenv("QUARRY_FAULT_READONLY");
    fault_readonly = readonly && strcmp(readonly, "1") == 0;
}

__attribute__((destructor)) static void fault_report(void) {
    const char *log = getenv("QUARRY_FAULT_LOG");
    if (!log) return;
    FILE *file = fopen(log, "w");
    if (!file) return;
    fprintf(file, "%ld %s\n", __atomic_load_n(&operations, __ATOMIC_SEQ_CST),
            failed_operation[0] ? failed_operation : "-");
    fclose(file);
}

static int under_directory(const char *path) {
    if (!fault_dir_length || !path) return 0;
    char resolved[PATH_MAX];
    // Relative paths and symlinked temp dirs: compare the absolute form when it exists.
    const char *candidate = realpath(path, resolved) ? resolved : path;
    return strncmp(candidate, fault_dir, fault_dir_length) == 0;
}

static int fd_under_directory(int fd) {
    if (!fault_dir_length) return 0;
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length <= 0) return 0;
    target[length] = 0;
    return strncmp(target, fault_dir, fault_dir_length) == 0;
}

/// Counts one operation; nonzero when it must fail.
static int should_fail(const char *name) {
    long n = __atomic_add_fetch(&operations, 1, __ATOMIC_SEQ_CST);
    if (fault_at <= 0) return 0;
    if (n == fault_at || (fault_sticky && n > fault_at)) {
        if (n == fault_at) snprintf(failed_operation, sizeof failed_operation, "%s#%ld", name, n);
        errno = fault_errno;
        return 1;
    }
    return 0;
}

#define REAL(name) static __typeof__(&name) real_##name; if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buffer, size_t count) {
    REAL(write);
    if (fd > 2 && fd_under_directory(fd) && should_fail("write")) return -1;
    return real_write(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite);
    if (fd_under_directory(fd) && should_fail("pwrite")) return -1;
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    REAL(pwrite64);
    if (fd_under_directory(fd) && should_fail("pwrite64")) return -1;
    return real_pwrite64(fd, buffer, count, offset);
}

ssize_t writev(int fd, const struct iovec *vectors, int count) {
    REAL(writev);
    if (fd > 2 && fd_under_directory(fd) && should_fail("writev")) return -1;
    return real_writev(fd, vectors, count);
}

int fsync(int fd) {
    REAL(fsync);
    if (fd_under_directory(fd) && should_fail("fsync")) return -1;
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (fd_under_directory(fd) && should_fail("fdatasync")) return -1;
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t length) {
    REAL(ftruncate);
    if (fd_under_directory(fd) && should_fail("ftruncate")) return -1;
    return real_ftruncate(fd, length);
}

int ftruncate64(int fd, off_t length) {
    REAL(ftruncate64);
    if (fd_under_directory(fd) && should_fail("ftruncate64")) return -1;
    return real_ftruncate64(fd, length);
}

int rename(const char *from, const char *to) {
    REAL(rename);
    if ((under_directory(from) || under_directory(to)) && should_fail("rename")) return -1;
    return real_rename(from, to);
}

int renameat(int fromDirectory, const char *from, int toDirectory, const char *to) {
    REAL(renameat);
    if ((under_directory(from) || under_directory(to)) && should_fail("renameat")) return -1;
    return real_renameat(fromDirectory, from, toDirectory, to);
}

/// Opening for writing on a read-only mount.
static int refuses_open(const char *path, int flags) {
    if (!fault_readonly || !((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))) return 0;
    if (!under_directory(path)) {
        // A file not created yet: judge by its directory.
        if (!(flags & O_CREAT) || !fault_dir_length || strncmp(path, fault_dir, fault_dir_length) != 0) return 0;
    }
    errno = EROFS;
    return 1;
}

static mode_t mode_argument(int flags, va_list arguments) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(arguments, int) : 0;
}

// open and open64 are one function in glibc on 64-bit machines; both names are interposed.
#define INTERPOSE_OPEN(name)                                          \
    int name(const char *path, int flags, ...) {                      \
        REAL(name);                                                   \
        va_list arguments;                                            \
        va_start(arguments, flags);                                   \
        mode_t mode = mode_argument(flags, arguments);                \
        va_end(arguments);                                            \
        if (refuses_open(path, flags)) return -1;                     \
        return real_##name(path, flags, mode);                        \
    }
INTERPOSE_OPEN(open)
INTERPOSE_OPEN(open64)

int openat(int directory, const char *path, int flags, ...) {
    REAL(openat);
    va_list arguments;
    va_start(arguments, flags);
    mode_t mode = mode_argument(flags, arguments);
    va_end(arguments);
    if (path[0] == '/' && refuses_open(path, flags)) return -1;
    return real_openat(directory, path, flags, mode);
}
