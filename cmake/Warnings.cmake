# Warnings are errors in every build we make (development and CI alike).
set(YS_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
	-Wvla -Wno-unused-parameter -Werror)
add_compile_options(${YS_WARNINGS})
add_compile_definitions(_GNU_SOURCE)

if(YS_SANITIZE)
	add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
		-fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
if(YS_TSAN)
	add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
	add_link_options(-fsanitize=thread)
endif()
if(YS_FUZZ)
	# Instrument every module for coverage; the fuzz targets add -fsanitize=fuzzer at link.
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined)
endif()
