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
  if ((v = bsp_context_extract(task, s->call, &s->args, &ctx)) || (v = bsp_code_attach(task, &ctx, &s->args)) < 0) return v;
  s->version = (bsp_u8)v;
  s->serial = bsp_cache[v].serial;
  s->fd_gen = bsp_port_fd_gen(task, s->args.fd);
  s->fd_gen_value = *s->fd_gen;
  return BSP_OK;
}

static void unbind(struct bsp_slot *s) {
  if (s->version != NO_VERSION) bsp_code_detach(s->version, s->serial);
  s->version = NO_VERSION;
}

static long customize(int task, int call, int fd, int flags, const void *addr, unsigned addr_len) {
  struct bsp_slot *s = bsp_slots[task];
  int t, r;
  if (addr_len > BSP_ADDR_MAX || (addr_len && !addr)) return -BSP_E_LIMIT;
  for (t = 0; s[t].used; t++)
    if (t == BSP_TOKENS - 1) return -BSP_E_NOSLOT;
  s += t;
  s->call = (bsp_u8)call;
  s->args.fd = fd;
  s->args.flags = flags;
  s->args.addr_len = addr_len;
  if (addr_len) memcpy(s->args.addr, addr, addr_len);
  if ((r = bind_slot(task, s))) return r;
  s->used = 1;
  return t + 1;
}

static int guards_hold(const struct bsp_version *v) {
  int i;
  for (i = 0; i < v->nguards; i++)
    if (*v->guards[i].counter != v->guards[i].value) return 0;
  return 1;
}

static long call_customized(int task, struct bsp_slot *s, const void *buf, unsigned long len) {
  struct bsp_version *v;
  bsp_u32 n;
  if (s->version == NO_VERSION) goto generic;
  v = &bsp_cache[s->version];
  if (v->serial != s->serial || *s->fd_gen != s->fd_gen_value || !guards_hold(v)) {
    if (v->serial == s->serial && *s->fd_gen == s->fd_gen_value) v->state = BSP_STALE;
    unbind(s);
    if (bsp_config.rerequest) bind_slot(task, s);
    goto generic;
  }
  v->used = ++bsp_lru_clock;
  for (n = 0; v->state == BSP_PENDING && bsp_config.wait && n < bsp_config.wait_polls; n++)
    if (!bsp_chan_poll()) bsp_port_idle();
  if (v->state == BSP_READY)
    return v->entry(s->args.fd, buf, len, s->args.flags, s->args.addr_len ? s->args.addr : 0, s->args.addr_len);
generic:
  return bsp_port_generic(s->call, s->args.fd, buf, len, s->args.flags, s->args.addr_len ? s->args.addr : 0, s->args.addr_len);
}

long sys_specialize(int op, long a, long b, long c, long d, long e, long f) {
  int task = bsp_port_task();
  struct bsp_slot *s;
  (void)f;
  if ((unsigned)task >= BSP_TASKS) return -BSP_E_TOKEN; /* a task the tables were not sized for */
  if (op == BSP_OP_CUSTOMIZE) return customize(task, (int)a, (int)b, (int)c, (const void *)d, (unsigned)e);
  if (a < 1 || a > BSP_TOKENS || !(s = &bsp_slots[task][a - 1])->used) return -BSP_E_TOKEN;
  if (op == BSP_OP_CALL) return call_customized(task, s, (const void *)b, (unsigned long)c);
  if (op != BSP_OP_CANCEL) return -BSP_E_CALLNO;
  unbind(s);
  s->used = 0;
  return BSP_OK;
}
