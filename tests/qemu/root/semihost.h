/*
 * Arm semihosting from EL0 (QEMU: -semihosting-config enable=on,userspace=on):
 * the test's output and its exit status, without a console server.
 */
#ifndef KAAL_QEMU_SEMIHOST_H
#define KAAL_QEMU_SEMIHOST_H

void semihost_write(const char *s); /* SYS_WRITE0: a NUL-terminated string */
_Noreturn void semihost_exit(int status); /* SYS_EXIT: QEMU exits with status & 0xff */

#endif
