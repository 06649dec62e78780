# ys_module(NAME SOURCES a.c b.c DEPS ys_x PkgConfig::Y)
# One static library per module. The module's folder is its public include directory;
# DEPS must only name modules upstream of it on the packet path.
function(ys_module name)
	cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
	add_library(${name} STATIC ${M_SOURCES})
	target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
	target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()

# ys_unit_test(NAME SOURCES t.c DEPS ys_x): a cmocka test registered with ctest.
function(ys_unit_test name)
	cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
	add_executable(${name} ${T_SOURCES})
	target_link_libraries(${name} PRIVATE ${T_DEPS} PkgConfig::CMOCKA)
	add_test(NAME ${name} COMMAND ${name})
	set_tests_properties(${name} PROPERTIES LABELS unit
		ENVIRONMENT "YS_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# ys_fuzz_target(NAME SOURCES f.c DEPS ys_x): built only with -DYS_FUZZ=ON (clang).
function(ys_fuzz_target name)
	cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
	if(NOT YS_FUZZ)
		return()
	endif()
	add_executable(${name} ${F_SOURCES})
	target_link_libraries(${name} PRIVATE ${F_DEPS})
	target_link_options(${name} PRIVATE -fsanitize=fuzzer)
	set_property(GLOBAL APPEND PROPERTY YS_FUZZ_TARGETS ${name})
endfunction()

# Add every immediate subfolder of DIR that has a CMakeLists.txt.
function(ys_add_subdirs)
	file(GLOB children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
	list(SORT children)
	foreach(child ${children})
		if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child}
				AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
			add_subdirectory(${child})
		endif()
	endforeach()
endfunction()
