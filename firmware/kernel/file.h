/*
 * Open files and per-task descriptor tables. Every file in this kernel is a
 * socket; the file carries what Linux keeps there and Figure 2 reads:
 * f_flags (O_NONBLOCK).
 *
 * Generation counters: a file's `f_gen` is bumped when its flags change
 * (fcntl), when it is closed, when its socket changes (sock_changed) and
 * when any network interface changes, so it alone guards everything code
 * specialized for this file assumed; a task's `fd_gen[fd]` is bumped whenever
 * the slot is filled or emptied, so code specialized for "fd 3 of task 1"
 * notices that fd 3 was closed and reused, even for an identical socket.
 */
#ifndef KERNEL_FILE_H
#define KERNEL_FILE_H

#include "lwip/arch.h"

struct socket;
struct task;

#define O_RDWR      02
#define O_NONBLOCK  04000

#define F_GETFL     3
#define F_SETFL     4

/* The flags F_SETFL may change; the rest of f_flags is fixed at open. */
#define FILE_SETFL_MASK O_NONBLOCK

struct file {
  unsigned f_flags;             /* O_RDWR | O_NONBLOCK */
  u16_t f_count;                /* descriptors that refer to this file; 0 = free */
  struct socket *f_socket;
  u32_t f_gen;
};

#define FILE_MAX 16

struct file *file_alloc(struct socket *sock);
void files_changed(void);
int fd_install(struct task *task, struct file *file);
struct file *fget(struct task *task, int fd);
int fd_close(struct task *task, int fd);

long sys_fcntl(int fd, int cmd, long arg);
long sys_close(int fd);

#endif
