# Cross toolchain for the freestanding aarch64 kernel image (QEMU virt).
#
# Flags for everything built for aarch64: the kernel and the EL0 programs
# (the root task, the components, tests/qemu's root task) alike. What only the
# kernel needs (-mgeneral-regs-only: the kernel never touches FP/SIMD
# registers, which hold the user thread's state; -mstrict-align: its early
# code runs with the MMU off, where all memory is Device memory) is in
# hal-aarch64/CMakeLists.txt, so EL0 code may use FP/SIMD. No C library is
# linked by default; libgcc supplies the compiler's own helpers. The
# components add picolibc themselves (cmake/component.cmake).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(KAAL_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Prefix of the aarch64 cross tools")
find_program(KAAL_CROSS_GCC ${KAAL_CROSS_PREFIX}gcc)
if(NOT KAAL_CROSS_GCC)
    message(FATAL_ERROR "${KAAL_CROSS_PREFIX}gcc not found: install the Debian package "
                        "gcc-aarch64-linux-gnu (./kaal does this on a fresh machine)")
endif()
set(CMAKE_C_COMPILER ${KAAL_CROSS_GCC})
set(CMAKE_ASM_COMPILER ${KAAL_CROSS_GCC})

# A freestanding compiler cannot link a test program without our linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Debian's cross gcc defaults to PIE and to out-of-line atomics (calls into a
# libgcc helper that reads a hwcap variable a kernel never sets up).
set(KAAL_AARCH64_FLAGS
    "-ffreestanding -nostdlib -fno-stack-protector -fno-pic -fno-pie -mno-outline-atomics \
-fno-asynchronous-unwind-tables")
set(CMAKE_C_FLAGS_INIT "${KAAL_AARCH64_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${KAAL_AARCH64_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -static -no-pie -Wl,--build-id=none")
set(CMAKE_C_STANDARD_LIBRARIES "-lgcc")

# Host programs (Python, QEMU) are found on the host as usual.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
