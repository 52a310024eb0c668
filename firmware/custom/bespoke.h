/* The application interface of remote customization (the paper's section 2.1).
 *
 *   int tok = do_customize_sendto(fd, flags, &dst, sizeof dst);
 *   customized_sendto(tok, buf, len);      -- specialized code, or the generic
 *                                             path until the code has arrived
 *   cancel_customize(tok);
 *
 * Every entry is one call of the single system call sys_specialize(op, ...),
 * as in the paper. A token is usable as soon as it is returned: calls never
 * fail or block because the customization server is slow or unreachable
 * (unless the wait policy is chosen, see bsp_config in custom.h).
 * Negative results are -BSP_E_* error codes (custom.h). */
#ifndef BESPOKE_H
#define BESPOKE_H

/* Customizable calls: the number the context manager, the code cache and the
 * channel protocol agree on (docs/protocol.md). */
#define BSP_CALL_SENDTO 1
#define BSP_CALL_SEND   2

/* sys_specialize operations. */
#define BSP_OP_CUSTOMIZE 1
#define BSP_OP_CALL      2
#define BSP_OP_CANCEL    3

long sys_specialize(int op, long a, long b, long c, long d, long e, long f);

#define do_customize_sendto(fd, flags, addr, addr_len) \
  ((int)sys_specialize(BSP_OP_CUSTOMIZE, BSP_CALL_SENDTO, (long)(fd), (long)(flags), (long)(addr), (long)(addr_len), 0))
#define customized_sendto(token, buf, len) \
  sys_specialize(BSP_OP_CALL, (long)(token), (long)(buf), (long)(len), 0, 0, 0)

#define do_customize_send(fd, flags) \
  ((int)sys_specialize(BSP_OP_CUSTOMIZE, BSP_CALL_SEND, (long)(fd), (long)(flags), 0, 0, 0))
#define customized_send(token, buf, len) \
  sys_specialize(BSP_OP_CALL, (long)(token), (long)(buf), (long)(len), 0, 0, 0)

#define cancel_customize(token) ((int)sys_specialize(BSP_OP_CANCEL, (long)(token), 0, 0, 0, 0, 0))

#endif
