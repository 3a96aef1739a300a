# Embeddability (docs/PERFORMANCE.md): the core built alone at -Os with this
# build's compiler, its .text size against the goal, and no I/O, time,
# socket, thread, stdio or heap symbol in any core object. The 32-bit and
# big-endian runs take minutes and need cross packages: bench/cross-test.sh,
# called from .ci/run, not from here.
add_test(NAME embed_check
         COMMAND bash ${CMAKE_SOURCE_DIR}/bench/embed-check.sh --cc ${CMAKE_C_COMPILER}
                 --out ${CMAKE_CURRENT_BINARY_DIR}/embed-check)
set_tests_properties(embed_check PROPERTIES LABELS embed TIMEOUT 600)
