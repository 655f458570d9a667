/*
 * What a kernel image carries for the system it boots (kaal_aarch64_image in
 * hal-aarch64/CMakeLists.txt):
 *
 * - the root task's ELF file, when the build defines KAAL_ROOT_ELF (its path,
 *   a string); without it the image has none and the boot powers off after
 *   kernel_boot. boot/root.c loads it.
 * - the component table module (tools/pack_components.py), when the build
 *   defines KAAL_COMPONENTS (its path). The boot hands its pages to the root
 *   task as the KAAL_MODULE_COMPONENTS boot module (read-only frames), so it
 *   starts and ends on a page of its own: no byte of the kernel shares them.
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

    .section .rodata.components, "a"
    .balign 4096
    .global aarch64_components
aarch64_components:
#ifdef KAAL_COMPONENTS
    .incbin KAAL_COMPONENTS
#endif
    .global aarch64_components_end
aarch64_components_end:
#ifdef KAAL_COMPONENTS
    .balign 4096
#endif
