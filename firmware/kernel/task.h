/*
 * Tasks: the device's processes. The kernel has one thread of control and
 * no preemption (the board has no interrupts), so a task is a step function
 * the scheduler calls until it would block; `current` is the task whose
 * step is running, and every system call acts on its descriptor table.
 */
#ifndef KERNEL_TASK_H
#define KERNEL_TASK_H

#include "lwip/arch.h"

struct file;
struct task;

#define TASK_MAX     4
#define TASK_NOFILE  8

/* What a step reports back to the scheduler. */
#define TASK_PROGRESS 0         /* did work; call again soon */
#define TASK_WAITING  1         /* would block (EAGAIN); call again after the network moved */
#define TASK_EXITED   2         /* finished; exit_code is set */

typedef int (*task_step_fn)(struct task *task);

struct task {
  int pid;                      /* 1..TASK_MAX; 0 = free slot */
  const char *name;
  u8_t state;                   /* TASK_PROGRESS/WAITING/EXITED, as last reported */
  int exit_code;
  task_step_fn step;
  void *arg;                    /* the application's own state */
  struct file *fd[TASK_NOFILE];
  u32_t fd_gen[TASK_NOFILE];
};

extern struct task *current;

struct task *task_create(const char *name, task_step_fn step, void *arg);
struct task *task_lookup(int pid);
struct task *task_slot(int index);
void task_exit(struct task *task, int code);
int sched_run(u32_t budget_ms);
void sched_reset(void);

#endif
