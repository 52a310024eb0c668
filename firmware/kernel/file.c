/*
 * Open files and descriptor tables. A file is shared by every descriptor
 * that refers to it (f_count); closing the last one releases the socket.
 */
#include "file.h"

#include "errno.h"
#include "socket.h"
#include "task.h"

static struct file files[FILE_MAX];

struct file *
file_alloc(struct socket *sock)
{
  int i;
  for (i = 0; i < FILE_MAX; i++) {
    struct file *file = &files[i];
    if (file->f_count == 0) {
      file->f_flags = O_RDWR;
      file->f_count = 1;
      file->f_socket = sock;
      file->f_gen++;
      sock->file = file;
      return file;
    }
  }
  return NULL;
}

/* A network interface changed: routes, and with them what any open socket
 * would send through, may differ now. */
void
files_changed(void)
{
  int i;
  for (i = 0; i < FILE_MAX; i++) {
    if (files[i].f_count != 0) {
      files[i].f_gen++;
    }
  }
}

/* The lowest free descriptor, as POSIX requires. */
int
fd_install(struct task *task, struct file *file)
{
  int fd;
  for (fd = 0; fd < TASK_NOFILE; fd++) {
    if (task->fd[fd] == NULL) {
      task->fd[fd] = file;
      task->fd_gen[fd]++;
      return fd;
    }
  }
  return -EMFILE;
}

struct file *
fget(struct task *task, int fd)
{
  if (task == NULL || fd < 0 || fd >= TASK_NOFILE) {
    return NULL;
  }
  return task->fd[fd];
}

int
fd_close(struct task *task, int fd)
{
  struct file *file = fget(task, fd);
  if (file == NULL) {
    return -EBADF;
  }
  task->fd[fd] = NULL;
  task->fd_gen[fd]++;
  file->f_gen++;
  if (--file->f_count == 0) {
    struct socket *sock = file->f_socket;
    file->f_socket = NULL;
    if (sock != NULL) {
      int err = sock->ops->release(sock);
      sock_free(sock);
      return err;
    }
  }
  return 0;
}

long
sys_fcntl(int fd, int cmd, long arg)
{
  struct file *file = fget(current, fd);
  if (file == NULL) {
    return -EBADF;
  }
  switch (cmd) {
    case F_GETFL:
      return (long)file->f_flags;
    case F_SETFL:
      file->f_flags = (file->f_flags & ~(unsigned)FILE_SETFL_MASK) | ((unsigned)arg & FILE_SETFL_MASK);
      /* Figure 2's O_NONBLOCK test reads f_flags: a sendto specialized
       * for a blocking socket must not run once it is non-blocking. */
      file->f_gen++;
      return 0;
    default:
      return -EINVAL;
  }
}

long
sys_close(int fd)
{
  return fd_close(current, fd);
}
