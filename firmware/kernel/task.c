/*
 * Tasks and the scheduler. Round robin over step functions: a step runs
 * until its task would block and returns; between steps the kernel polls
 * the network, so a sender's packets reach the receiver's socket before the
 * receiver's next step. When no task can move and no packet is in flight,
 * the board sleeps until lwIP's next timer.
 */
#include "task.h"

#include <string.h>

#include "errno.h"
#include "file.h"
#include "kernel.h"
#include "net.h"

struct task *current;

static struct task tasks[TASK_MAX];

struct task *
task_create(const char *name, task_step_fn step, void *arg)
{
  int i;
  for (i = 0; i < TASK_MAX; i++) {
    struct task *task = &tasks[i];
    if (task->pid == 0) {
      /* Keep the descriptor generations: a new task in a recycled slot must
       * not inherit guards that matched its predecessor's descriptors. */
      u32_t gen[TASK_NOFILE];
      memcpy(gen, task->fd_gen, sizeof(gen));
      memset(task, 0, sizeof(*task));
      memcpy(task->fd_gen, gen, sizeof(gen));
      task->pid = i + 1;
      task->name = name;
      task->step = step;
      task->arg = arg;
      task->state = TASK_PROGRESS;
      return task;
    }
  }
  return NULL;
}

struct task *
task_lookup(int pid)
{
  if (pid < 1 || pid > TASK_MAX || tasks[pid - 1].pid == 0) {
    return NULL;
  }
  return &tasks[pid - 1];
}

/* The task table entry at `index` (0..TASK_MAX-1), whether or not a task
 * lives there: generation counters outlive the tasks that bumped them. */
struct task *
task_slot(int index)
{
  if (index < 0 || index >= TASK_MAX) {
    return NULL;
  }
  return &tasks[index];
}

/* Exiting closes the task's descriptors, as process exit does. */
void
task_exit(struct task *task, int code)
{
  int fd;
  for (fd = 0; fd < TASK_NOFILE; fd++) {
    if (task->fd[fd] != NULL) {
      fd_close(task, fd);
    }
  }
  task->exit_code = code;
  task->state = TASK_EXITED;
}

/* Free the slots of exited tasks (their exit codes have been read). */
void
sched_reset(void)
{
  int i;
  for (i = 0; i < TASK_MAX; i++) {
    if (tasks[i].pid != 0 && tasks[i].state == TASK_EXITED) {
      tasks[i].pid = 0;
    }
  }
}

/* Run every task until all have exited. Returns 0, -EDEADLK when all wait
 * and nothing can wake them, or -ETIMEDOUT after budget_ms of board time. */
int
sched_run(u32_t budget_ms)
{
  u32_t start = sys_now();
  for (;;) {
    int i;
    int alive = 0;
    int progress = 0;
    for (i = 0; i < TASK_MAX; i++) {
      struct task *task = &tasks[i];
      int r;
      if (task->pid == 0 || task->state == TASK_EXITED) {
        continue;
      }
      current = task;
      r = task->step(task);
      current = NULL;
      if (r == TASK_EXITED) {
        if (task->state != TASK_EXITED) {
          current = task;
          task_exit(task, task->exit_code);
          current = NULL;
        }
        progress = 1;
        continue;
      }
      task->state = (u8_t)r;
      alive = 1;
      if (r == TASK_PROGRESS) {
        progress = 1;
      }
    }
    if (!alive) {
      return 0;
    }
    if (kernel_poll()) {
      progress = 1;
    }
    if (!progress && !net_idle(budget_ms)) {
      return -EDEADLK;
    }
    if ((u32_t)(sys_now() - start) >= budget_ms) {
      return -ETIMEDOUT;
    }
  }
}
