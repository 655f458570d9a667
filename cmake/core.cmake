# kaal_add_core(<name> <arch-include-dir> [<extra compile options>...])
#
# The kernel core is built once per backend: the backend's include directory
# supplies <kaal/hal/arch_context.h>. The core sees only its own headers, the
# ABI headers and the HAL contract; nothing in core/ may include a backend.
file(GLOB_RECURSE KAAL_CORE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/core/*.c)

function(kaal_add_core name arch_include)
    add_library(${name} STATIC ${KAAL_CORE_SOURCES})
    target_include_directories(${name}
        PUBLIC ${CMAKE_SOURCE_DIR}/core/include ${CMAKE_SOURCE_DIR}/abi/include
               ${CMAKE_SOURCE_DIR}/hal/include ${arch_include})
    target_compile_options(${name} PRIVATE -ffreestanding -fno-builtin ${ARGN})
    if(KAAL_DEBUG)
        target_compile_definitions(${name} PUBLIC KAAL_DEBUG=1)
    endif()
endfunction()
