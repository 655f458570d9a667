/*
 * The root task's ELF file, linked into the kernel image when the build
 * defines KAAL_ROOT_ELF (its path, a string); without it the image has none
 * and the boot powers off after kernel_boot. boot/root.c loads it.
 */
    .section .rodata.root_image, "a"
    .balign 16
    .global aarch64_root_elf
aarch64_root_elf:
#ifdef KAAL_ROOT_ELF
    .incbin KAAL_ROOT_ELF
#endif
    .global aarch64_root_elf_end
aarch64_root_elf_end:
