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
  /* The fast path: a call on a token bound to a loaded version whose serial,
   * fd slot and guards still hold (a bound slot is in use: cancel unbinds
   * before it frees). Anything else takes the full path below. */
  if (op == BSP_OP_CALL && (unsigned long)(a - 1) < BSP_TOKENS && (v = (s = bsp_slots[task] + (a - 1))->version) &&
      v->state == BSP_READY && v->serial == s->serial && *s->fd_gen.counter == s->fd_gen.value) {
    for (g = v->guards, end = g + v->nguards; g != end && *g->counter == g->value;) ++g;
    if (g == end) {
      v->used = ++bsp_lru_clock;
    enter:
      return v->entry(s->args.fd, (const void *)b, (unsigned long)c, &s->args);
    }
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
  d = s->args.addr_len ? (long)s->args.addr : 0;
  if ((v = s->version)) {
    if (op == BSP_OP_CALL && v->serial == s->serial && *s->fd_gen.counter == s->fd_gen.value) {
      g = v->guards;
      t = v->nguards;
      while (t && *g->counter == g->value) {
        --t;
        ++g;
      }
      if (!t) {
        v->used = ++bsp_lru_clock;
        for (t = bsp_config.wait; v->state == BSP_PENDING && t; --t)
          if (!bsp_chan_poll()) bsp_port_idle();
        if (v->state != BSP_READY) goto generic;
        goto enter;
      }
      v->state = BSP_STALE; /* for every token: what it assumed has changed */
    }
    /* cancel, a version evicted or no longer valid, or the fd reused */
    bsp_code_detach(v, s->serial);
    s->version = 0;
    if (op == BSP_OP_CALL && bsp_config.rerequest) goto bind;
  }
  if (op == BSP_OP_CANCEL) return s->used = 0;
generic:
  return bsp_port_generic(s->call, s->args.fd, (const void *)b, (unsigned long)c, s->args.flags, (const void *)d, s->args.addr_len);
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
