# ys_bpf_skeleton(NAME SOURCE file.bpf.c [HEADERS h...]) builds a CO-RE eBPF object and its
# libbpf skeleton, libbpf-bootstrap style:
#   bpftool btf dump file /sys/kernel/btf/vmlinux format c  -> vmlinux.h (once per build dir)
#   clang -target bpf -g -O2 -c NAME.bpf.c                  -> NAME.bpf.o
#   bpftool gen skeleton NAME.bpf.o name NAME               -> NAME.skel.h
# and an INTERFACE target NAME_skel whose include directory holds NAME.skel.h.
# YS_BPF_OK is set in the parent scope when clang, bpftool and kernel BTF are all present;
# without them the eBPF parts are skipped (the rest of the sensor builds unchanged).
find_program(YS_BPF_CLANG NAMES clang clang-14)
find_program(YS_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
set(YS_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "kernel BTF used to generate vmlinux.h")

if(YS_BPF_CLANG AND YS_BPFTOOL AND EXISTS ${YS_VMLINUX_BTF} AND BPF_FOUND)
	set(YS_BPF_OK ON)
else()
	set(YS_BPF_OK OFF)
	message(STATUS "eBPF: skipped (needs clang, bpftool, ${YS_VMLINUX_BTF} and libbpf)")
endif()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
	set(YS_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
	set(YS_BPF_ARCH arm64)
else()
	set(YS_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(ys_bpf_skeleton name)
	cmake_parse_arguments(B "" "SOURCE" "HEADERS" ${ARGN})
	set(out ${CMAKE_CURRENT_BINARY_DIR}/bpfgen)
	set(vmlinux ${out}/vmlinux.h)
	if(NOT TARGET ys_vmlinux_h)
		add_custom_command(OUTPUT ${vmlinux}
			COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
			COMMAND ${YS_BPFTOOL} btf dump file ${YS_VMLINUX_BTF} format c > ${vmlinux}.tmp
			COMMAND ${CMAKE_COMMAND} -E rename ${vmlinux}.tmp ${vmlinux}
			COMMENT "vmlinux.h from ${YS_VMLINUX_BTF}"
			VERBATIM)
		add_custom_target(ys_vmlinux_h DEPENDS ${vmlinux})
	endif()
	add_custom_command(OUTPUT ${out}/${name}.bpf.o
		COMMAND ${YS_BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${YS_BPF_ARCH}
			-Wall -Wextra -Wno-unused-parameter -Werror
			-I${out} -I${CMAKE_CURRENT_SOURCE_DIR}
			-c ${B_SOURCE} -o ${out}/${name}.bpf.o
		DEPENDS ${B_SOURCE} ${B_HEADERS} ${vmlinux}
		WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
		COMMENT "clang -target bpf ${name}.bpf.c"
		VERBATIM)
	add_custom_command(OUTPUT ${out}/${name}.skel.h
		COMMAND ${YS_BPFTOOL} gen skeleton ${out}/${name}.bpf.o name ${name} > ${out}/${name}.skel.h.tmp
		COMMAND ${CMAKE_COMMAND} -E rename ${out}/${name}.skel.h.tmp ${out}/${name}.skel.h
		DEPENDS ${out}/${name}.bpf.o
		COMMENT "bpftool gen skeleton ${name}"
		VERBATIM)
	add_custom_target(${name}_skel_gen DEPENDS ${out}/${name}.skel.h)
	add_library(${name}_skel INTERFACE)
	target_include_directories(${name}_skel INTERFACE ${out})
	add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
