# kaal_component(<name> SOURCES <files...> [LIBRARIES <libs...>] [NO_ENTRY])
#
# A component, from the same sources on both backends (docs/system.md):
#
# sim: a position-independent shared object loaded once per instance
# (hal-sim/component.c); every component starts in its own copy of
# libkaal/src/component_entry.c. Its libkaal calls resolve in the launcher
# executable, which links libkaal whole and exports it. NO_ENTRY: the root
# task, which the kernel starts at its own entry (kaal_root_main) with the
# boot info.
#
# aarch64: a static EL0 executable, build/aarch64/components/<name>.elf,
# linked at 2 MiB by libkaal/src/program_aarch64.ld with picolibc (its
# headers and libc.a; our own start file, libkaal/src/crt0_aarch64.S: the
# component one, or the root task's with NO_ENTRY; libkaal/src/runtime_aarch64.c: what the C
# library expects of the system) and libkaal (kaal_aarch64_libkaal). The target's property KAAL_ELF is that path.
set(KAAL_AARCH64_PROGRAM_LD ${CMAKE_SOURCE_DIR}/libkaal/src/program_aarch64.ld)

function(kaal_component name)
    cmake_parse_arguments(ARG "NO_ENTRY" "" "SOURCES;LIBRARIES" ${ARGN})
    set(entry ${CMAKE_SOURCE_DIR}/libkaal/src/component_entry.c)
    if(ARG_NO_ENTRY)
        set(entry)
    endif()
    if(KAAL_TARGET STREQUAL "aarch64")
        set(crt kaal_aarch64_crt_component)
        if(ARG_NO_ENTRY)
            set(crt kaal_aarch64_crt_root)
        endif()
        add_executable(${name} ${ARG_SOURCES} ${entry} $<TARGET_OBJECTS:${crt}>
                       $<TARGET_OBJECTS:kaal_aarch64_runtime>)
        target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/libkaal/include ${CMAKE_SOURCE_DIR}/abi/include)
        target_link_libraries(${name} PRIVATE kaal_aarch64_el0 kaal_aarch64_libkaal ${ARG_LIBRARIES}
                              kaal_aarch64_picolibc_libs)
        set_target_properties(${name} PROPERTIES
            OUTPUT_NAME ${name}.elf
            RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/components
            KAAL_ELF ${CMAKE_BINARY_DIR}/components/${name}.elf
            KAAL_ELF_STRIPPED ${CMAKE_BINARY_DIR}/components/${name}.stripped.elf
            LINK_DEPENDS ${KAAL_AARCH64_PROGRAM_LD})
        # What a loader reads of it, no more (a kernel image carries the root task's this way).
        add_custom_command(TARGET ${name} POST_BUILD
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tools/pack_components.py
                    --strip $<TARGET_FILE:${name}> --output ${CMAKE_BINARY_DIR}/components/${name}.stripped.elf
            BYPRODUCTS ${CMAKE_BINARY_DIR}/components/${name}.stripped.elf
            VERBATIM)
        set_property(GLOBAL APPEND PROPERTY KAAL_COMPONENTS ${name})
        return()
    endif()
    add_library(${name} MODULE ${ARG_SOURCES} ${entry})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/libkaal/include ${CMAKE_SOURCE_DIR}/abi/include)
    target_compile_options(${name} PRIVATE -fPIC -fvisibility=hidden)
    target_link_options(${name} PRIVATE -Wl,-Bsymbolic)
    if(ARG_LIBRARIES)
        target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
    endif()
    # No "lib" prefix: the launcher finds components by name (console.so, shell.so ...).
    set_target_properties(${name} PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/components)
    set_property(GLOBAL APPEND PROPERTY KAAL_COMPONENTS ${name})
endfunction()
