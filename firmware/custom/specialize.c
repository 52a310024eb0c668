/* sys_specialize: the one system call behind the customization interface
 * (bespoke.h). It owns the per-task local system call tables: a token is an
 * index into the calling task's table. A customized call checks its guards
 * on entry and takes the generic path whenever the version is absent, not
 * yet loaded, or no longer valid. */
#include <string.h>
#include "port.h"

struct bsp_slot bsp_slots[BSP_TASKS][BSP_TOKENS];

long sys_specialize(int op, long a, long b, long c, long d, long e, long f) {
  int task = bsp_port_task(), t = 1, drop;
  struct bsp_slot *s, S;
  struct bsp_version *v;
  struct bsp_guard *g, *end;
  struct bsp_context ctx;
  (void)f;
  if ((unsigned)task >= BSP_TASKS) return -BSP_E_TOKEN; /* a task the tables were not sized for */
  /* A call on a bound token (a bound slot is in use: cancel unbinds before
   * it frees): the customized code while its serial, fd slot and guards
   * hold and it is loaded, with the fewest steps in between */
  if (op == BSP_OP_CALL && (unsigned long)(a - 1) < BSP_TOKENS && (v = (s = bsp_slots[task] + (a - 1))->version)) {
    if (v->serial == s->serial && *s->fd_gen.counter == s->fd_gen.value) {
      for (g = v->guards, end = g + v->nguards; g != end && *g->counter == g->value;) ++g;
      if (g == end) {
        v->used = ++bsp_lru_clock;
        if (v->state != BSP_READY) {
          for (t = bsp_config.wait; v->state == BSP_PENDING && t; --t)
            if (!bsp_chan_poll()) bsp_port_idle();
          if (v->state != BSP_READY) goto generic;
        }
        return v->entry(s->args.fd, (const void *)b, (unsigned long)c, &s->args);
      }
      v->state = BSP_STALE; /* for every token: what it assumed has changed */
    }
    /* a version evicted or no longer valid, or the fd reused */
    bsp_code_detach(v, s->serial);
    s->version = 0;
    if (bsp_config.rerequest) goto bind;
    goto generic;
  }
  s = bsp_slots[task];
  if (op == BSP_OP_CUSTOMIZE) {
    if ((unsigned long)e > BSP_ADDR_MAX || (e && !d)) return -BSP_E_LIMIT;
    while (s->used) {
      if (++t > BSP_TOKENS) return -BSP_E_NOSLOT;
      ++s;
    }
    memset(&S, 0, sizeof S);
    S.call = (bsp_u8)a;
    S.args.fd = (int)b;
    S.args.flags = (int)c;
    if ((S.args.addr_len = (unsigned)e)) memcpy(S.args.addr, (const void *)d, (unsigned)e);
    memcpy(s, &S, sizeof S);
    goto bind;
  }
  if ((unsigned long)(a - 1) >= BSP_TOKENS || !(s += a - 1)->used) return -BSP_E_TOKEN;
  if ((unsigned)(op - BSP_OP_CALL) > 1) return -BSP_E_CALLNO;
  /* cancel, or a call on an unbound token */
  if (op == BSP_OP_CANCEL) {
    if (s->version) bsp_code_detach(s->version, s->serial);
    s->version = 0;
    return s->used = 0;
  }
generic:
  return bsp_port_generic(s->call, s->args.fd, (const void *)b, (unsigned long)c, s->args.flags, s->args.addr_len ? s->args.addr : 0,
                          s->args.addr_len);
bind:
  /* resolve the slot's context and take a reference to the version for it:
   * on customization, and again after fd reuse, a socket change or an
   * evicted version; on an error the slot stays unbound. The code manager
   * bounds the versions of a call: each time it asks, one more parameter is
   * dropped from the context */
  drop = 0;
  while (!(e = bsp_context_extract(task, s->call, &s->args, drop, &ctx)) && (e = bsp_code_attach(task, &ctx, &v)) > 0) ++drop;
  if (!e) {
    s->version = v;
    s->serial = v->serial;
    s->fd_gen.value = *(s->fd_gen.counter = bsp_port_fd_gen(task, s->args.fd));
  }
  if (op != BSP_OP_CUSTOMIZE) goto generic;
  if (e) return e;
  s->used = 1;
  return t;
}
