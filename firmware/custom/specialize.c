/* sys_specialize: the one system call behind the customization interface
 * (bespoke.h). It owns the per-task local system call tables: a token is an
 * index into the calling task's table. A customized call checks its guards
 * on entry and takes the generic path whenever the version is absent, not
 * yet loaded, or no longer valid. */
#include <string.h>
#include "port.h"

#define NO_VERSION 0xff

struct bsp_slot bsp_slots[BSP_TASKS][BSP_TOKENS];

/* 1 when every counter still has its value. */
static int hold(const struct bsp_guard *g, int n) {
  for (; n; --n, ++g)
    if (*g->counter != g->value) return 0;
  return 1;
}

/* Resolve the slot's context and take a reference to the version for it:
 * on customization, and again after fd reuse, a socket change or an
 * evicted version. 0, or a negative error with the slot left unbound. */
static int bind_slot(int task, struct bsp_slot *s) {
  struct bsp_context ctx;
  int v;
  s->version = NO_VERSION;
  if ((v = bsp_context_extract(task, s->call, &s->args, &ctx)) || (v = bsp_code_attach(task, &ctx)) < 0) return v;
  s->version = (bsp_u8)v;
  s->serial = bsp_cache[v].serial;
  s->fd_gen.value = *(s->fd_gen.counter = bsp_port_fd_gen(task, s->args.fd));
  return BSP_OK;
}

long sys_specialize(int op, long a, long b, long c, long d, long e, long f) {
  int task = bsp_port_task(), t = 1;
  struct bsp_slot *s, S;
  struct bsp_version *v;
  (void)f;
  if ((unsigned)task >= BSP_TASKS) return -BSP_E_TOKEN; /* a task the tables were not sized for */
  s = bsp_slots[task];
  if (op == BSP_OP_CUSTOMIZE) {
    if ((unsigned long)e > BSP_ADDR_MAX || (e && !d)) return -BSP_E_LIMIT;
    while (s->used) {
      if (++t > BSP_TOKENS) return -BSP_E_NOSLOT;
      ++s;
    }
    s->call = (bsp_u8)a;
    s->args.fd = (int)b;
    s->args.flags = (int)c;
    if ((s->args.addr_len = (unsigned)e)) memcpy(s->args.addr, (const void *)d, (unsigned)e);
    if ((e = bind_slot(task, s))) return e;
    s->used = 1;
    return t;
  }
  if ((unsigned long)(a - 1) >= BSP_TOKENS || !(s += a - 1)->used) return -BSP_E_TOKEN;
  if ((unsigned)(op - BSP_OP_CALL) > 1) return -BSP_E_CALLNO;
  memcpy(&S, s, sizeof S);
  d = S.args.addr_len ? (long)s->args.addr : 0;
  if (S.version != NO_VERSION) {
    v = &bsp_cache[S.version];
    t = op == BSP_OP_CALL && v->serial == S.serial && hold(&S.fd_gen, 1);
    if (t && !hold(v->guards, v->nguards)) {
      v->state = BSP_STALE; /* for every token: what it assumed has changed */
      t = 0;
    }
    if (!t) {
      /* cancel, a version evicted or no longer valid, or the fd reused */
      bsp_code_detach(S.version, S.serial);
      s->version = NO_VERSION;
      if (op == BSP_OP_CALL && bsp_config.rerequest) bind_slot(task, s);
    } else {
      v->used = ++bsp_lru_clock;
      for (t = bsp_config.wait ? bsp_config.wait_polls : 0; v->state == BSP_PENDING && t; --t)
        if (!bsp_chan_poll()) bsp_port_idle();
      if (v->state == BSP_READY)
        return v->entry(S.args.fd, (const void *)b, (unsigned long)c, S.args.flags, (const void *)d, S.args.addr_len);
    }
  }
  if (op == BSP_OP_CANCEL) return s->used = 0;
  return bsp_port_generic(S.call, S.args.fd, (const void *)b, (unsigned long)c, S.args.flags, (const void *)d, S.args.addr_len);
}
