/*
 * The system call dispatcher: one table, indexed by call number. Each entry
 * unpacks the argument words into the typed kernel function, so no function
 * is ever called through a pointer of the wrong type. sys_specialize is
 * there when the customization subsystem is linked (BESPOKE_CUSTOM).
 */
#include "syscall.h"

#include "errno.h"
#include "file.h"
#include "socket.h"

#ifdef BESPOKE_CUSTOM
#include "bespoke.h"
#endif

#define ARG_PTR(type, i) ((type)(args[i]))

static long entry_socket(const long *args) { return sys_socket((int)args[0], (int)args[1], (int)args[2]); }
static long entry_bind(const long *args) { return sys_bind((int)args[0], ARG_PTR(const struct sockaddr *, 1), (int)args[2]); }
static long entry_connect(const long *args) { return sys_connect((int)args[0], ARG_PTR(const struct sockaddr *, 1), (int)args[2]); }
static long entry_listen(const long *args) { return sys_listen((int)args[0], (int)args[1]); }
static long entry_accept(const long *args) { return sys_accept((int)args[0], ARG_PTR(struct sockaddr *, 1), ARG_PTR(int *, 2)); }
static long entry_sendto(const long *args)
{
  return sys_sendto((int)args[0], ARG_PTR(void *, 1), (size_t)args[2], (unsigned)args[3], ARG_PTR(const struct sockaddr *, 4), (int)args[5]);
}
static long entry_send(const long *args) { return sys_send((int)args[0], ARG_PTR(void *, 1), (size_t)args[2], (unsigned)args[3]); }
static long entry_recvfrom(const long *args)
{
  return sys_recvfrom((int)args[0], ARG_PTR(void *, 1), (size_t)args[2], (unsigned)args[3], ARG_PTR(struct sockaddr *, 4), ARG_PTR(int *, 5));
}
static long entry_setsockopt(const long *args)
{
  return sys_setsockopt((int)args[0], (int)args[1], (int)args[2], ARG_PTR(const void *, 3), (int)args[4]);
}
static long entry_getsockopt(const long *args)
{
  return sys_getsockopt((int)args[0], (int)args[1], (int)args[2], ARG_PTR(void *, 3), ARG_PTR(int *, 4));
}
static long entry_fcntl(const long *args) { return sys_fcntl((int)args[0], (int)args[1], args[2]); }
static long entry_close(const long *args) { return sys_close((int)args[0]); }
#ifdef BESPOKE_CUSTOM
static long entry_specialize(const long *args)
{
  return sys_specialize((int)args[0], args[1], args[2], args[3], args[4], args[5], 0);
}
#endif

static const syscall_fn sys_call_table[NR_SYSCALLS] = {
  [NR_socket] = entry_socket,
  [NR_bind] = entry_bind,
  [NR_connect] = entry_connect,
  [NR_listen] = entry_listen,
  [NR_accept] = entry_accept,
  [NR_sendto] = entry_sendto,
  [NR_send] = entry_send,
  [NR_recvfrom] = entry_recvfrom,
  [NR_setsockopt] = entry_setsockopt,
  [NR_getsockopt] = entry_getsockopt,
  [NR_fcntl] = entry_fcntl,
  [NR_close] = entry_close,
#ifdef BESPOKE_CUSTOM
  [NR_specialize] = entry_specialize,
#endif
};

long
system_call(unsigned nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
  long args[6];
  if (nr >= NR_SYSCALLS || sys_call_table[nr] == NULL) {
    return -ENOSYS;
  }
  args[0] = a0;
  args[1] = a1;
  args[2] = a2;
  args[3] = a3;
  args[4] = a4;
  args[5] = a5;
  return sys_call_table[nr](args);
}
