# kaal_component(<name> SOURCES <files...> [LIBRARIES <libs...>] [NO_ENTRY])
#
# A component: on the sim, a position-independent shared object loaded once
# per instance (hal-sim/component.c); every component starts in its own copy
# of libkaal/src/component_entry.c. Its libkaal calls resolve in the launcher
# executable, which links libkaal whole and exports it. NO_ENTRY: the root task,
# which the kernel starts at its own entry (kaal_root_main) with the boot info.
function(kaal_component name)
    cmake_parse_arguments(ARG "NO_ENTRY" "" "SOURCES;LIBRARIES" ${ARGN})
    set(entry ${CMAKE_SOURCE_DIR}/libkaal/src/component_entry.c)
    if(ARG_NO_ENTRY)
        set(entry)
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
