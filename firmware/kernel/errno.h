/*
 * Kernel error numbers: Linux's values, so traces and tests read the same as
 * on a Linux device. System calls return them negated (-EBADF), as Linux's
 * do at the kernel boundary; there is no global errno.
 */
#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define EPERM            1
#define ENOENT           2
#define EIO              5
#define EBADF            9
#define EAGAIN          11
#define ENOMEM          12
#define EFAULT          14
#define EINVAL          22
#define ENFILE          23
#define EMFILE          24
#define ENOSYS          38
#define EDEADLK         35
#define ENOTSOCK        88
#define EDESTADDRREQ    89
#define EMSGSIZE        90
#define EPROTOTYPE      91
#define ENOPROTOOPT     92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EOPNOTSUPP      95
#define EAFNOSUPPORT    97
#define EADDRINUSE      98
#define EADDRNOTAVAIL   99
#define ENETUNREACH    101
#define ECONNABORTED   103
#define ECONNRESET     104
#define ENOBUFS        105
#define EISCONN        106
#define ENOTCONN       107
#define ETIMEDOUT      110
#define ECONNREFUSED   111
#define EHOSTUNREACH   113
#define EALREADY       114
#define EINPROGRESS    115

#define EWOULDBLOCK EAGAIN

#endif
