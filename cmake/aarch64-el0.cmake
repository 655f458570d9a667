# What the EL0 programs of the aarch64 build (the root task, the components) need beyond the cross
# compiler: picolibc (Debian picolibc-aarch64-linux-gnu, installed by ./kaal) and an aarch64 libfdt
# for the root task: Debian's libfdt-dev:arm64, which cannot be installed beside the host's
# libfdt-dev (the sim's; the package is not Multi-Arch: same), so ./kaal unpacks it into
# build/deps/libfdt-dev-arm64/ instead. Included by the top CMakeLists.txt for
# KAAL_TARGET=aarch64, before services/ asks for KAAL_LIBFDT.

execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=picolibc.specs
                OUTPUT_VARIABLE kaal_picolibc_specs OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT IS_ABSOLUTE "${kaal_picolibc_specs}" OR NOT EXISTS "${kaal_picolibc_specs}")
    message(FATAL_ERROR "picolibc for aarch64 not found (${CMAKE_C_COMPILER} has no picolibc.specs): install "
                        "the Debian package picolibc-aarch64-linux-gnu (./kaal does this)")
endif()

# The static library only: the root task is one static executable. ./kaal's copy first, then an
# installed libfdt-dev:arm64 (on a machine that needs no host libfdt).
set(kaal_fdt_roots ${CMAKE_SOURCE_DIR}/build/deps/libfdt-dev-arm64/usr /usr)
set(KAAL_LIBFDT "" CACHE FILEPATH "libfdt built for aarch64 (Debian libfdt-dev:arm64)" FORCE)
foreach(root ${kaal_fdt_roots})
    if(EXISTS ${root}/lib/aarch64-linux-gnu/libfdt.a AND EXISTS ${root}/include/libfdt.h)
        set(KAAL_LIBFDT ${root}/lib/aarch64-linux-gnu/libfdt.a CACHE FILEPATH "" FORCE)
        set(kaal_fdt_include ${root}/include)
        break()
    endif()
endforeach()
if(NOT KAAL_LIBFDT)
    message(FATAL_ERROR "libfdt for aarch64 not found (build/deps/libfdt-dev-arm64/ nor "
                        "/usr/lib/aarch64-linux-gnu/libfdt.a): run ./kaal without --no-install, which "
                        "fetches Debian's libfdt-dev:arm64 and unpacks it there; by hand: dpkg "
                        "--add-architecture arm64 && apt-get update && apt-get download libfdt-dev:arm64 && "
                        "dpkg-deb -x libfdt-dev_*_arm64.deb build/deps/libfdt-dev-arm64")
endif()
# Its three headers in a directory of their own: -I/usr/include would put the host's C library
# headers before picolibc's.
foreach(h libfdt.h libfdt_env.h fdt.h)
    configure_file(${kaal_fdt_include}/${h} ${CMAKE_BINARY_DIR}/libfdt-include/${h} COPYONLY)
endforeach()
set(KAAL_LIBFDT_INCLUDE ${CMAKE_BINARY_DIR}/libfdt-include CACHE PATH "libfdt's headers, alone" FORCE)
message(STATUS "libfdt for aarch64: ${KAAL_LIBFDT}")

# tools/pack_components.py strips each program after its link (cmake/component.cmake).
find_package(Python3 COMPONENTS Interpreter REQUIRED)
