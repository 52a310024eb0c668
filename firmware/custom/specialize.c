/* sys_specialize: the one system call behind the customization interface
 * (bespoke.h). It owns the per-task local system call tables: a token is an
 * index into the calling task's table. A customized call checks its guards
 * on entry and takes the generic path whenever the version is absent, not
 * yet loaded, or no longer valid. */
#include <string.h>
#include "port.h"

#define NO_VERSION 0xff

struct bsp_slot bsp_slots[BSP_TASKS][BSP_TOKENS];

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
  s->fd_gen = bsp_port_fd_gen(task, s->args.fd);
  s->fd_gen_value = *s->fd_gen;
  return BSP_OK;
}

long sys_specialize(int op, long a, long b, long c, long d, long e, long f) {
  int task = bsp_port_task(), ok;
  bsp_u32 t;
  struct bsp_slot *s;
  struct bsp_version *v;
  struct bsp_guard *g;
  (void)f;
  if ((unsigned)task >= BSP_TASKS) return -BSP_E_TOKEN; /* a task the tables were not sized for */
  s = bsp_slots[task];
  if (op == BSP_OP_CUSTOMIZE) {
    if ((unsigned long)e > BSP_ADDR_MAX || (e && !d)) return -BSP_E_LIMIT;
    for (t = 1; s->used; s++)
      if (t++ == BSP_TOKENS) return -BSP_E_NOSLOT;
    s->call = (bsp_u8)a;
    s->args.fd = (int)b;
    s->args.flags = (int)c;
    s->args.addr_len = (unsigned)e;
    if (e) memcpy(s->args.addr, (const void *)d, (unsigned)e);
    if ((ok = bind_slot(task, s))) return ok;
    s->used = 1;
    return t;
  }
  if (a < 1 || a > BSP_TOKENS || !(s += a - 1)->used) return -BSP_E_TOKEN;
  if (op != BSP_OP_CALL && op != BSP_OP_CANCEL) return -BSP_E_CALLNO;
  d = s->args.addr_len ? (long)s->args.addr : 0;
  if (s->version != NO_VERSION) {
    v = &bsp_cache[s->version];
    ok = op == BSP_OP_CALL && v->serial == s->serial && *s->fd_gen == s->fd_gen_value;
    for (g = v->guards; ok && g < v->guards + v->nguards; g++)
      if (*g->counter != g->value) {
        v->state = BSP_STALE; /* for every token: what it assumed has changed */
        ok = 0;
      }
    if (!ok) {
      /* cancel, a version evicted or no longer valid, or the fd reused */
      bsp_code_detach(s->version, s->serial);
      s->version = NO_VERSION;
      if (op == BSP_OP_CALL && bsp_config.rerequest) bind_slot(task, s);
    } else {
      v->used = ++bsp_lru_clock;
      for (t = 0; v->state == BSP_PENDING && bsp_config.wait && t < bsp_config.wait_polls; t++)
        if (!bsp_chan_poll()) bsp_port_idle();
      if (v->state == BSP_READY)
        return v->entry(s->args.fd, (const void *)b, (unsigned long)c, s->args.flags, (const void *)d, s->args.addr_len);
    }
  }
  if (op == BSP_OP_CANCEL) return s->used = 0;
  return bsp_port_generic(s->call, s->args.fd, (const void *)b, (unsigned long)c, s->args.flags, (const void *)d, s->args.addr_len);
}
